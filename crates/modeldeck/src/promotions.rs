//! Builds the promotion service the TUI and the `promote`, `rollback`,
//! `audit` and `history` subcommands use: the console's ports, the
//! profile's policies, and the hash-chained journal in the platform data
//! dir (`$MODELDECK_JOURNAL` overrides). On the sandbox the journal lives in
//! a temporary directory of this process (the world itself is not kept
//! either), and time passes in the world instead of on the wall clock when
//! the world is frozen.

use crate::failure::Failure;
use async_trait::async_trait;
use modeldeck_core::Console;
use modeldeck_core::config::Profile;
use modeldeck_promotion::policy::PolicyRule;
use modeldeck_promotion::service::Pause;
use modeldeck_promotion::{Journal, JournalOptions, Policy, PolicySet, Promotions};
use modeldeck_sandbox::Sandbox;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The policy of the simulated world: one approval, short bake, with the
/// classifier metrics compared for the fraud models (so the demo's gate
/// checklist has numbers).
const SANDBOX_POLICY: &str = r#"
[default]
min_approvals = 1
approval_ttl = "24h"
bake = "20s"
rollout_poll = "2s"
rollout_timeout = "5m"

[[rules]]
models = "fraud-*"
[rules.policy]
min_approvals = 1
metrics = [{ name = "auc", tolerance = 0.002 }, { name = "log_loss" }]
bake = "20s"
rollout_poll = "2s"
rollout_timeout = "5m"
"#;

/// Where the journal lives for a real profile.
pub fn journal_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MODELDECK_JOURNAL").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    directories::ProjectDirs::from("io", "modeldeck", "modeldeck")
        .map(|d| d.data_dir().join("journal.jsonl"))
        .unwrap_or_else(|| PathBuf::from("modeldeck-journal.jsonl"))
}

/// The profile's `[profiles.NAME.policies."GLOB"]` tables as a policy set:
/// `"*"` (or `"default"`) is the default; other globs become rules, the
/// most specific first (fewest wildcards, then longest).
pub fn policies_of(profile: &Profile) -> Result<PolicySet, Failure> {
    let bad = |glob: &str, e: String| {
        Failure::NoProfile(format!(
            "profile \"{}\": policies.\"{glob}\": {e}",
            profile.name
        ))
    };
    let mut set = PolicySet::default();
    let mut rules = Vec::new();
    for (glob, table) in &profile.policies {
        let policy: Policy = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| bad(glob, e.message().to_string()))?;
        if glob == "*" || glob == "default" {
            set.default = policy;
        } else {
            rules.push(PolicyRule {
                models: glob.clone(),
                policy,
            });
        }
    }
    rules.sort_by_key(|r| {
        let wild = r.models.chars().filter(|c| matches!(c, '*' | '?')).count();
        (wild, std::cmp::Reverse(r.models.len()))
    });
    set.rules = rules;
    set.validate().map_err(|e| bad("(all)", e))?;
    Ok(set)
}

fn open_journal(path: PathBuf) -> Result<Arc<Journal>, Failure> {
    Journal::open(&path, JournalOptions::default())
        .map(Arc::new)
        .map_err(|e| Failure::Other(anyhow::anyhow!("the audit journal {}: {e}", path.display())))
}

/// The service over a real profile's console.
pub fn for_profile(console: &Console, profile: &Profile) -> Result<Promotions, Failure> {
    let journal = open_journal(journal_path())?;
    Ok(Promotions::from_console(
        console,
        policies_of(profile)?,
        journal,
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

/// A temporary directory removed when the last holder drops it.
pub struct ScratchDir(pub PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The service over the sandbox world; `live` worlds run on the wall clock
/// and sleep between rollout polls, frozen ones advance the world instead.
pub fn for_sandbox(
    console: &Console,
    world: &Sandbox,
    live: bool,
) -> Result<(Promotions, ScratchDir), Failure> {
    let dir = std::env::temp_dir().join(format!("modeldeck-sandbox-{}", std::process::id()));
    let scratch = ScratchDir(dir.clone());
    let journal = open_journal(dir.join("journal.jsonl"))?;
    let policies: PolicySet = toml::from_str(SANDBOX_POLICY)
        .map_err(|e| Failure::Other(anyhow::anyhow!("the sandbox policy: {e}")))?;
    let mut p = Promotions::from_console(console, policies, journal);
    if !live {
        p = p.with_pause(Arc::new(WorldPause(world.clone())));
    }
    Ok((p, scratch))
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
        let text = r#"
            [profiles.p.policies."fraud-*"]
            min_aprovals = 2
        "#;
        let e = policies_of(&profile(text)).unwrap_err().to_string();
        assert!(e.contains("fraud-*") && e.contains("min_aprovals"), "{e}");
    }

    #[test]
    fn the_sandbox_policy_parses() {
        let set: PolicySet = toml::from_str(SANDBOX_POLICY).unwrap();
        set.validate().unwrap();
        assert_eq!(set.for_model("fraud-detector").metrics.len(), 2);
    }
}
