//! The `identity` gate as the promotion screens show it. The promotion
//! service adds it to every checklist; where a target cluster does not bind
//! approvals to identities (no ledger CRDs or admission policy there) its
//! detail says "approvals are not identity-bound on <cluster> (<why>)". The
//! list marks such a promotion, the detail and its confirm dialogs warn at
//! the top, in those same words, so nobody reads an approval there as proof
//! of who gave it.

use crate::theme;
use modeldeck_core::domain::{GateResult, GateStatus, Promotion};
use modeldeck_core::text::clean;
use ratatui::style::Style;

/// Name of the gate.
pub const GATE: &str = "identity";
/// The list's mark for a promotion with an unbound target cluster.
pub const UNBOUND_MARK: &str = "⚠";
/// What the gate says before each unbound cluster's name.
const WORDS: &str = "approvals are not identity-bound on ";

/// A promotion's target clusters that do not bind approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unbound {
    /// The clusters, in the gate's order, sanitized.
    pub clusters: Vec<String>,
    /// The policy requires bound approvals: execution is refused.
    pub blocking: bool,
}

impl Unbound {
    /// What `p`'s identity gate says is unbound; `None` when the gate
    /// passes clean, is pending (the ledger was not read) or is absent.
    pub fn of(p: &Promotion) -> Option<Unbound> {
        Unbound::from_gates(&p.gates)
    }

    /// The same, from a gate checklist.
    pub fn from_gates(gates: &[GateResult]) -> Option<Unbound> {
        let gate = gates.iter().find(|g| g.name == GATE)?;
        let clusters = clusters_in(&gate.detail);
        (!clusters.is_empty()).then(|| Unbound {
            clusters,
            blocking: gate.status == GateStatus::Fail,
        })
    }

    /// Merges several promotions' unbound clusters (the list's notice).
    pub fn merge<'a>(all: impl IntoIterator<Item = &'a Unbound>) -> Option<Unbound> {
        let mut out: Option<Unbound> = None;
        for u in all {
            let o = out.get_or_insert_with(|| Unbound {
                clusters: Vec::new(),
                blocking: false,
            });
            o.blocking |= u.blocking;
            for c in &u.clusters {
                if !o.clusters.contains(c) {
                    o.clusters.push(c.clone());
                }
            }
        }
        out
    }

    /// "approvals are not identity-bound on a", "... on a and on b".
    pub fn words(&self) -> String {
        let on: Vec<&str> = self.clusters.iter().map(String::as_str).collect();
        let list = match on.split_last() {
            Some((last, rest)) if !rest.is_empty() => {
                format!("{} and on {last}", rest.join(", on "))
            }
            _ => on.join(""),
        };
        format!("{WORDS}{list}")
    }

    /// What that means for this promotion.
    pub fn consequence(&self) -> &'static str {
        if self.blocking {
            "the policy requires bound approvals, so execute is refused (identity gate)"
        } else {
            "allowed by the policy (require_bound_approvals = false), but anyone who may write registry tags could forge an approval there"
        }
    }

    /// The warning sentence: mark, words, consequence.
    pub fn sentence(&self) -> String {
        format!("{UNBOUND_MARK} {}: {}", self.words(), self.consequence())
    }

    /// Error when execution is refused, warning when only allowed.
    pub fn style(&self) -> Style {
        if self.blocking {
            theme::error()
        } else {
            theme::warn()
        }
    }
}

/// The cluster named after each "approvals are not identity-bound on ",
/// up to the " (" of its reason (kube context names have no spaces).
fn clusters_in(detail: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = detail;
    while let Some(at) = rest.find(WORDS) {
        rest = &rest[at + WORDS.len()..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ';')
            .unwrap_or(rest.len());
        let name = clean(&rest[..end]).into_owned();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unbound(status: GateStatus, detail: &str) -> Option<Unbound> {
        Unbound::from_gates(&[GateResult {
            name: GATE.into(),
            status,
            detail: detail.into(),
        }])
    }

    #[test]
    fn unbound_clusters_are_read_from_the_gate() {
        let d = "approvals are not identity-bound on prod-eu (CustomResourceDefinition x is not installed; Y differs); approvals are not identity-bound on prod-us (z); the policy requires bound approvals (require_bound_approvals)";
        let u = unbound(GateStatus::Fail, d).unwrap();
        assert_eq!(u.clusters, ["prod-eu", "prod-us"]);
        assert!(u.blocking);
        assert_eq!(
            u.words(),
            "approvals are not identity-bound on prod-eu and on prod-us"
        );
        let allowed = unbound(GateStatus::Pass, d).unwrap();
        assert!(!allowed.blocking);
        assert!(
            allowed
                .sentence()
                .contains("require_bound_approvals = false")
        );
    }

    #[test]
    fn a_clean_or_pending_gate_is_not_unbound() {
        let clean = "approvals are identity-bound on every target cluster (ModelApproval objects admitted by the shipped policy)";
        assert_eq!(unbound(GateStatus::Pass, clean), None);
        let pending = "the cluster ledger was not read for this view";
        assert_eq!(unbound(GateStatus::Pending, pending), None);
    }
}
