//! Builds the promotion service a session offers: the console's ports, the
//! profile's policies, and the hash-chained journal (`Paths::journal` for a
//! profile, beside the saved world for the sandbox). On a frozen sandbox
//! world time passes in the world instead of on the wall clock.

use crate::error::SetupError;
use async_trait::async_trait;
use modeldeck_core::Console;
use modeldeck_core::config::Profile;
use modeldeck_promotion::service::Pause;
use modeldeck_promotion::{Journal, JournalOptions, PolicySet, Promotions};
use modeldeck_sandbox::Sandbox;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The policy of the simulated world: one approval, short bake, with the
/// classifier metrics compared for the fraud models (so the demo's gate
/// checklist has numbers); other models need a model card with intended
/// use, limitations and owner (the demo's ltv-estimator lacks the last two,
/// docs/model-card.md). Every front end on the sandbox uses this one.
pub const SANDBOX_POLICY: &str = r#"
[default]
min_approvals = 1
approval_ttl = "24h"
bake = "20s"
rollout_poll = "2s"
rollout_timeout = "5m"
card_required = ["intended_use", "limitations", "owner"]

[[rules]]
models = "fraud-*"
[rules.policy]
min_approvals = 1
metrics = [{ name = "auc", tolerance = 0.002 }, { name = "log_loss" }]
bake = "20s"
rollout_poll = "2s"
rollout_timeout = "5m"
"#;

/// The profile's policies as a policy set (see [`PolicySet::from_globs`]).
///
/// Errors: [`SetupError::Policy`] naming the profile and the glob.
pub fn policies_of(profile: &Profile) -> Result<PolicySet, SetupError> {
    PolicySet::from_globs(&profile.policies).map_err(|(glob, message)| SetupError::Policy {
        profile: profile.name.clone(),
        glob,
        message,
    })
}

/// The sandbox's policy set.
///
/// Errors: [`SetupError::Sandbox`] if [`SANDBOX_POLICY`] does not parse (a bug).
pub fn sandbox_policies() -> Result<PolicySet, SetupError> {
    toml::from_str(SANDBOX_POLICY).map_err(|e| SetupError::Sandbox {
        message: format!("the sandbox policy: {e}"),
    })
}

fn open_journal((path, key): (&Path, Option<Vec<u8>>)) -> Result<Arc<Journal>, SetupError> {
    let opts = JournalOptions {
        head_key: key,
        ..JournalOptions::default()
    };
    Journal::open(path, opts)
        .map(Arc::new)
        .map_err(|e| SetupError::Journal {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// The service over a real profile's console.
pub(crate) fn for_profile(
    console: &Console,
    policies: PolicySet,
    journal: (&Path, Option<Vec<u8>>),
) -> Result<Promotions, SetupError> {
    Ok(Promotions::from_console(
        console,
        policies,
        open_journal(journal)?,
    ))
}

/// Lets time pass in a frozen sandbox world instead of sleeping.
struct WorldPause(Sandbox);

#[async_trait]
impl Pause for WorldPause {
    async fn pause(&self, d: Duration) {
        self.0.advance(d);
        tokio::task::yield_now().await;
    }
}

/// The service over the sandbox world; `live` worlds run on the wall clock
/// and sleep between rollout polls, frozen ones advance the world instead.
pub(crate) fn for_sandbox(
    console: &Console,
    world: &Sandbox,
    live: bool,
    journal: (&Path, Option<Vec<u8>>),
) -> Result<Promotions, SetupError> {
    let mut p = Promotions::from_console(console, sandbox_policies()?, open_journal(journal)?);
    if !live {
        p = p.with_pause(Arc::new(WorldPause(world.clone())));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(text: &str) -> Profile {
        let file =
            modeldeck_core::config::parse_file(text, std::path::Path::new("t.toml")).unwrap();
        let mut profile = file.profiles["p"].clone();
        profile.name = "p".into();
        profile
    }

    #[test]
    fn profile_policies_become_rules_most_specific_first() {
        let text = r#"
            [profiles.p.policies."*"]
            min_approvals = 2
            [profiles.p.policies."fraud-*"]
            min_approvals = 3
            [profiles.p.policies."fraud-detector"]
            min_approvals = 4
        "#;
        let set = policies_of(&profile(text)).unwrap();
        assert_eq!(set.default.min_approvals, 2);
        assert_eq!(set.for_model("fraud-detector").min_approvals, 4);
        assert_eq!(set.for_model("fraud-x").min_approvals, 3);
        assert_eq!(set.for_model("churn").min_approvals, 2);
    }

    #[test]
    fn a_bad_policy_names_the_profile_and_glob() {
        let text = r#"
            [profiles.p.policies."fraud-*"]
            min_approvals = 0
        "#;
        let e = policies_of(&profile(text)).unwrap_err().to_string();
        assert!(e.contains("profile \"p\""), "{e}");
        assert!(e.contains("min_approvals"), "{e}");
        // A misspelt key is refused when the file is read, with its line.
        let text = "[profiles.p.policies.\"fraud-*\"]\nmin_aprovals = 2\n";
        let e = modeldeck_core::config::parse_file(text, std::path::Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("min_aprovals") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn the_sandbox_policy_parses() {
        let set = sandbox_policies().unwrap();
        set.validate().unwrap();
        assert_eq!(set.for_model("fraud-detector").metrics.len(), 2);
    }
}
