//! Settings shared by both front ends, layered: built-in defaults, then the
//! TOML file in the platform config dir, then environment variables (ours,
//! `MODELDECK_*`, and the ecosystem's own: `KUBECONFIG`, `MLFLOW_TRACKING_URI`,
//! `MLFLOW_TRACKING_USERNAME`...), then command-line flags (applied by the
//! caller on the returned [`Profile`]). Secrets never live here: see
//! [`secrets`].

mod profile;
pub mod secrets;

pub use profile::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A settings file that could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has wrong types.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// Path.
        path: PathBuf,
        /// What is wrong and where (line/column from the TOML parser).
        message: String,
    },
    /// The asked-for profile does not exist.
    #[error("no profile named {name:?} in {path} (profiles: {known})")]
    UnknownProfile {
        /// Name asked for.
        name: String,
        /// Config file.
        path: PathBuf,
        /// Known names, comma separated.
        known: String,
    },
    /// An environment variable has a value of the wrong form.
    #[error("environment variable {var}: {message}")]
    Env {
        /// Variable name.
        var: String,
        /// Why.
        message: String,
    },
    /// The file could not be written.
    #[error("cannot write config file {path}: {source}")]
    Write {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Reads the settings file at `path`; a missing file is an empty one.
pub fn load_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse_file(&text, path)
}

/// Parses settings text; `path` only names the file in errors.
pub fn parse_file(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim().replace('\n', " "),
    })?;
    for (name, p) in &file.profiles {
        if let Some((field, v)) = p.lag.invalid() {
            return Err(ConfigError::Parse {
                path: path.to_path_buf(),
                message: format!(
                    "profile {name:?}: lag.{field} = {v} must be a positive number (of {})",
                    if field == "max_seconds" {
                        "seconds"
                    } else {
                        "messages"
                    }
                ),
            });
        }
    }
    Ok(file)
}

/// Picks a profile from the file and layers the environment over it.
/// `name` (from `--profile`) wins over `MODELDECK_PROFILE`, which wins over
/// the file's `default_profile`; with none of them, `"default"`.
pub fn resolve(
    file: &ConfigFile,
    path: &Path,
    name: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<Profile, ConfigError> {
    let chosen = name
        .map(str::to_string)
        .or_else(|| env.get("MODELDECK_PROFILE").cloned())
        .or_else(|| file.default_profile.clone())
        .unwrap_or_else(|| "default".to_string());
    let mut profile = match file.profiles.get(&chosen) {
        Some(p) => p.clone(),
        None if chosen == "default" || file.profiles.is_empty() && name.is_none() => {
            Profile::default()
        }
        None => {
            return Err(ConfigError::UnknownProfile {
                name: chosen,
                path: path.to_path_buf(),
                known: file.profiles.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        }
    };
    profile.name = chosen;
    profile.apply_env(env)?;
    Ok(profile)
}

/// The process environment as a map, for [`resolve`].
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars().collect()
}

/// A commented starter file for `modeldeck config init`.
pub const STARTER_CONFIG: &str = include_str!("starter.toml");

/// Writes the starter file to `path` unless a file is already there.
/// Returns false if it existed (left untouched).
pub fn init_file(path: &Path) -> Result<bool, ConfigError> {
    if path.exists() {
        return Ok(false);
    }
    let werr = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(werr)?;
    }
    std::fs::write(path, STARTER_CONFIG).map_err(werr)?;
    Ok(true)
}

#[cfg(test)]
mod tests;
