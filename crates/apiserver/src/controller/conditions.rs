//! Status conditions: set one by type, keeping `lastTransitionTime` unless
//! the status flips and `lastUpdateTime` unless something changed.

use serde_json::{Value, json};

/// Sets condition `ty` in `conds`. `bump` refreshes `lastUpdateTime` even
/// when nothing else changed (progress was made).
pub fn set_condition(
    conds: &mut Vec<Value>,
    ty: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
    bump: bool,
) {
    match conds.iter_mut().find(|c| c["type"] == ty) {
        None => conds.push(json!({
            "type": ty, "status": status, "reason": reason, "message": message,
            "lastUpdateTime": now, "lastTransitionTime": now,
        })),
        Some(c) => {
            let changed = c["status"] != status || c["reason"] != reason || c["message"] != message;
            if c["status"] != status {
                c["lastTransitionTime"] = json!(now);
            }
            if changed || bump {
                c["lastUpdateTime"] = json!(now);
            }
            c["status"] = json!(status);
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_moves_only_on_status_flips() {
        let mut c = Vec::new();
        set_condition(&mut c, "Available", "False", "A", "m", "t1", false);
        set_condition(&mut c, "Available", "False", "B", "m", "t2", false);
        assert_eq!(c[0]["lastTransitionTime"], "t1");
        assert_eq!(c[0]["lastUpdateTime"], "t2");
        set_condition(&mut c, "Available", "True", "B", "m", "t3", false);
        assert_eq!(c[0]["lastTransitionTime"], "t3");
        set_condition(&mut c, "Available", "True", "B", "m", "t4", false);
        assert_eq!(c[0]["lastUpdateTime"], "t3");
    }
}
