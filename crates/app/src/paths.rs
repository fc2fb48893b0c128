//! Where Modeldeck keeps its files, decided once for every front end: the
//! config file, the data dir (the audit journal, the sandbox's saved world),
//! the state dir (logs). Each has an environment override, which tests and
//! packagers use.

use std::path::{Path, PathBuf};

/// The directories and files of one Modeldeck installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config file (`$MODELDECK_CONFIG`, else the platform config dir's
    /// `config.toml`).
    pub config: PathBuf,
    /// Durable data (`$MODELDECK_DATA_DIR`, else the platform data dir,
    /// `~/.local/share/modeldeck` on Linux).
    pub data: PathBuf,
    /// Log files (`$MODELDECK_LOG_DIR`, else `logs` in the platform state
    /// dir, `~/.local/state/modeldeck/logs` on Linux).
    pub logs: PathBuf,
    /// The local audit journal (`$MODELDECK_JOURNAL`, else
    /// `journal.jsonl` in the data dir).
    pub journal: PathBuf,
}

impl Paths {
    /// The paths from the process environment and the platform's
    /// conventions (`directories`). Falls back to the current directory
    /// when the platform has no home directory (a bare container).
    pub fn from_env() -> Paths {
        Paths::from_lookup(|k| std::env::var_os(k).map(PathBuf::from))
    }

    /// The paths from `var` (an environment lookup), for tests.
    pub fn from_lookup(var: impl Fn(&str) -> Option<PathBuf>) -> Paths {
        let var = |k: &str| var(k).filter(|p| !p.as_os_str().is_empty());
        let dirs = directories::ProjectDirs::from("io", "modeldeck", "modeldeck");
        let config = var("MODELDECK_CONFIG").unwrap_or_else(|| {
            dirs.as_ref()
                .map(|d| d.config_dir().join("config.toml"))
                .unwrap_or_else(|| PathBuf::from("modeldeck.toml"))
        });
        let data = var("MODELDECK_DATA_DIR").unwrap_or_else(|| {
            dirs.as_ref()
                .map(|d| d.data_dir().to_path_buf())
                .unwrap_or_else(|| PathBuf::from(".modeldeck"))
        });
        let logs = var("MODELDECK_LOG_DIR").unwrap_or_else(|| {
            dirs.as_ref()
                .map(|d| {
                    d.state_dir()
                        .unwrap_or_else(|| d.data_local_dir())
                        .join("logs")
                })
                .unwrap_or_else(|| data.join("logs"))
        });
        let journal = var("MODELDECK_JOURNAL").unwrap_or_else(|| data.join("journal.jsonl"));
        Paths {
            config,
            data,
            logs,
            journal,
        }
    }

    /// All paths under one directory (tests, a portable install).
    pub fn under(root: &Path) -> Paths {
        Paths {
            config: root.join("config.toml"),
            data: root.join("data"),
            logs: root.join("logs"),
            journal: root.join("data").join("journal.jsonl"),
        }
    }

    /// Where the simulated world of `seed` keeps its state between
    /// `--sandbox` commands, with its own journal beside it.
    pub fn sandbox_dir(&self, seed: u64) -> PathBuf {
        self.data.join("sandbox").join(format!("seed-{seed}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<PathBuf> {
        let m: BTreeMap<String, PathBuf> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), PathBuf::from(v)))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn overrides_win_and_the_journal_follows_the_data_dir() {
        let p = Paths::from_lookup(lookup(&[
            ("MODELDECK_CONFIG", "/c/config.toml"),
            ("MODELDECK_DATA_DIR", "/d"),
            ("MODELDECK_LOG_DIR", "/l"),
        ]));
        assert_eq!(p.config, PathBuf::from("/c/config.toml"));
        assert_eq!(p.data, PathBuf::from("/d"));
        assert_eq!(p.logs, PathBuf::from("/l"));
        assert_eq!(p.journal, PathBuf::from("/d/journal.jsonl"));
        assert_eq!(p.sandbox_dir(7), PathBuf::from("/d/sandbox/seed-7"));
    }

    #[test]
    fn an_explicit_journal_and_empty_values() {
        let p = Paths::from_lookup(lookup(&[
            ("MODELDECK_JOURNAL", "/j.jsonl"),
            ("MODELDECK_DATA_DIR", ""),
        ]));
        assert_eq!(p.journal, PathBuf::from("/j.jsonl"));
        assert_ne!(p.data, PathBuf::from(""));
    }
}
