//! Servers older than 2.3 have no aliases, only the deprecated stages. This
//! module holds the pure logic of the fallback: parsing `/version`, and the
//! mapping between our aliases and MLflow stages (champion <-> Production,
//! challenger <-> Staging by default). No pre-2.3 server is available to
//! test against; the mapping is unit tested only.

use crate::types::ModelVersion;
use std::collections::BTreeMap;

/// A server version from `GET /version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch (0 if absent).
    pub patch: u32,
}

impl ServerVersion {
    /// Parses `3.17.2`, `2.3`, `2.10.0rc1`, `2.2.2.dev0`; `None` otherwise.
    pub fn parse(text: &str) -> Option<ServerVersion> {
        let t = text.trim().trim_start_matches('v');
        let mut nums = t.split('.').map(|p| {
            let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse::<u32>().ok()
        });
        let major = nums.next()??;
        let minor = nums.next()??;
        let patch = nums.next().flatten().unwrap_or(0);
        Some(ServerVersion {
            major,
            minor,
            patch,
        })
    }

    /// Aliases arrived in MLflow 2.3.0.
    pub fn supports_aliases(self) -> bool {
        (self.major, self.minor) >= (2, 3)
    }
}

impl std::fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Which registry API expresses our aliases on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasMode {
    /// Real aliases (>= 2.3).
    Aliases,
    /// Stages stand in for the mapped aliases (< 2.3).
    Stages,
}

impl AliasMode {
    /// The mode for a server version.
    pub fn for_version(v: ServerVersion) -> AliasMode {
        if v.supports_aliases() {
            AliasMode::Aliases
        } else {
            AliasMode::Stages
        }
    }
}

/// Alias names <-> MLflow stage names for the stage fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMapping {
    /// (alias, stage) pairs; stages are `Production` or `Staging`.
    pub pairs: Vec<(String, String)>,
}

impl Default for StageMapping {
    fn default() -> Self {
        StageMapping::new("champion", "challenger")
    }
}

/// What to send for `set_alias` on a stage-only server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMove {
    /// Version to transition.
    pub version: String,
    /// Target stage.
    pub stage: String,
    /// Archive the versions already in that stage (so the alias stays unique).
    pub archive_existing: bool,
}

impl StageMapping {
    /// champion -> `Production`, challenger -> `Staging`, with your names.
    pub fn new(champion: &str, challenger: &str) -> Self {
        StageMapping {
            pairs: vec![
                (champion.to_string(), "Production".to_string()),
                (challenger.to_string(), "Staging".to_string()),
            ],
        }
    }

    /// The stage standing in for `alias`, if mapped.
    pub fn stage_for_alias(&self, alias: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(a, _)| a == alias)
            .map(|(_, s)| s.as_str())
    }

    /// The alias a stage stands for (`stage` matched case-insensitively, as MLflow does).
    pub fn alias_for_stage(&self, stage: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(_, s)| s.eq_ignore_ascii_case(stage))
            .map(|(a, _)| a.as_str())
    }

    /// Aliases of a model derived from its versions' stages. When several
    /// versions share a stage, the highest version number holds the alias
    /// (what `latest_versions` reports).
    pub fn aliases_from_stages(&self, versions: &[ModelVersion]) -> BTreeMap<String, String> {
        let mut best: BTreeMap<String, (u64, String)> = BTreeMap::new();
        for v in versions {
            let Some(alias) = v
                .current_stage
                .as_deref()
                .and_then(|s| self.alias_for_stage(s))
            else {
                continue;
            };
            let n = v.version.parse::<u64>().unwrap_or(0);
            let entry = best
                .entry(alias.to_string())
                .or_insert((n, v.version.clone()));
            if n > entry.0 {
                *entry = (n, v.version.clone());
            }
        }
        best.into_iter().map(|(a, (_, v))| (a, v)).collect()
    }

    /// The transition that makes `alias` point at `version`, or `None` if
    /// the alias has no stage (unsupported on such a server).
    pub fn plan_set(&self, alias: &str, version: &str) -> Option<StageMove> {
        self.stage_for_alias(alias).map(|stage| StageMove {
            version: version.to_string(),
            stage: stage.to_string(),
            archive_existing: true,
        })
    }

    /// The transitions that remove `alias`: every version in its stage goes
    /// back to `None`. `None` if the alias has no stage.
    pub fn plan_delete(&self, alias: &str, versions: &[ModelVersion]) -> Option<Vec<StageMove>> {
        let stage = self.stage_for_alias(alias)?;
        Some(
            versions
                .iter()
                .filter(|v| {
                    v.current_stage
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(stage))
                })
                .map(|v| StageMove {
                    version: v.version.clone(),
                    stage: "None".to_string(),
                    archive_existing: false,
                })
                .collect(),
        )
    }
}

#[cfg(test)]
#[path = "stages_tests.rs"]
mod tests;
