//! The OS keychain as a [`SecretStore`]: one entry per profile and secret,
//! service `modeldeck`, account `<profile>/<kind>`. On headless Linux it
//! needs a Secret Service on the session bus (gnome-keyring under
//! `dbus-run-session`; see `scripts/with-keyring.sh`). Errors never carry
//! the secret.

use modeldeck_core::config::secrets::{Secret, SecretError, SecretKind, SecretStore};

/// Keychain service name of every Modeldeck entry.
pub const SERVICE: &str = "modeldeck";

/// The platform keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

fn entry(profile: &str, kind: SecretKind) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(SERVICE, &format!("{profile}/{}", kind.account()))
        .map_err(|e| SecretError(describe(&e)))
}

fn describe(e: &keyring::Error) -> String {
    // keyring's messages name the platform store and cause, never the value.
    let msg = e.to_string();
    if msg.contains("NotFound")
        || msg.contains("bus")
        || msg.contains("NoDefaultStore")
        || msg.contains("default store")
    {
        format!(
            "{msg} (no Secret Service on the session bus? on headless Linux run under \
             dbus-run-session with gnome-keyring unlocked, or use MLFLOW_TRACKING_TOKEN)"
        )
    } else {
        msg
    }
}

impl SecretStore for Keychain {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        match entry(profile, kind)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError(describe(&e))),
        }
    }

    fn set(&self, profile: &str, kind: SecretKind, value: &Secret) -> Result<(), SecretError> {
        entry(profile, kind)?
            .set_password(value.expose())
            .map_err(|e| SecretError(describe(&e)))
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        match entry(profile, kind)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretError(describe(&e))),
        }
    }
}
