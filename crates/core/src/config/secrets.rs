//! Where secrets come from. The core only knows the [`SecretStore`] trait;
//! the binary plugs in the OS keychain. Secrets are wrapped in [`Secret`],
//! whose `Debug` and `Display` never show the value.

use std::fmt;

/// A secret value (token or password). Printing it shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(v: impl Into<String>) -> Secret {
        Secret(v.into())
    }

    /// The value, for the one place that sends it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which secret of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// MLflow bearer token.
    RegistryToken,
    /// MLflow basic-auth password.
    RegistryPassword,
    /// Prometheus bearer token.
    MetricsToken,
    /// Prometheus basic-auth password.
    MetricsPassword,
    /// HMAC key that signs this machine's audit journal head.
    JournalKey,
}

impl SecretKind {
    /// Account name used in the keychain entry (`<profile>/<this>`).
    pub fn account(self) -> &'static str {
        match self {
            SecretKind::RegistryToken => "registry-token",
            SecretKind::RegistryPassword => "registry-password",
            SecretKind::MetricsToken => "metrics-token",
            SecretKind::MetricsPassword => "metrics-password",
            SecretKind::JournalKey => "journal-key",
        }
    }

    /// The ecosystem's environment variable for it, which wins over the keychain.
    pub fn env_var(self) -> &'static str {
        match self {
            SecretKind::RegistryToken => "MLFLOW_TRACKING_TOKEN",
            SecretKind::RegistryPassword => "MLFLOW_TRACKING_PASSWORD",
            SecretKind::MetricsToken => "MODELDECK_METRICS_TOKEN",
            SecretKind::MetricsPassword => "MODELDECK_METRICS_PASSWORD",
            SecretKind::JournalKey => "MODELDECK_JOURNAL_KEY",
        }
    }
}

/// A failure of the secret store, without the secret.
#[derive(Debug, thiserror::Error)]
#[error("keychain: {0}")]
pub struct SecretError(pub String);

/// A place secrets are kept (the OS keychain in the binary).
pub trait SecretStore: Send + Sync {
    /// The secret of `kind` for `profile`, if stored.
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError>;
    /// Stores it (overwrites).
    fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError>;
    /// Removes it (no error if absent).
    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError>;
}

/// Looks a secret up: the environment first, then the store.
pub fn lookup(
    store: Option<&dyn SecretStore>,
    profile: &str,
    kind: SecretKind,
    env: &std::collections::BTreeMap<String, String>,
) -> Result<Option<Secret>, SecretError> {
    if let Some(v) = env.get(kind.env_var()).filter(|v| !v.is_empty()) {
        return Ok(Some(Secret::new(v.clone())));
    }
    match store {
        Some(s) => s.get(profile, kind),
        None => Ok(None),
    }
}
