//! Round trip through the real Secret Service. Needs a session bus with an
//! unlocked keyring: `scripts/test.sh` runs the suite under
//! `scripts/with-keyring.sh`, which provides one.

use modeldeck_core::config::secrets::{Secret, SecretKind, SecretStore};
use modeldeck_secrets::Keychain;

#[test]
fn stores_reads_and_deletes_a_token() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session bus: run the suite with scripts/test.sh (it starts one with an unlocked gnome-keyring)"
    );
    let profile = format!("test-{}", std::process::id());
    let k = Keychain;
    assert_eq!(k.get(&profile, SecretKind::RegistryToken).unwrap(), None);
    k.set(
        &profile,
        SecretKind::RegistryToken,
        &Secret::new("s3cr3t-token"),
    )
    .unwrap();
    let got = k.get(&profile, SecretKind::RegistryToken).unwrap().unwrap();
    assert_eq!(got.expose(), "s3cr3t-token");
    // Another kind of the same profile is a separate entry.
    assert_eq!(k.get(&profile, SecretKind::MetricsToken).unwrap(), None);
    k.set(&profile, SecretKind::RegistryToken, &Secret::new("rotated"))
        .unwrap();
    assert_eq!(
        k.get(&profile, SecretKind::RegistryToken)
            .unwrap()
            .unwrap()
            .expose(),
        "rotated"
    );
    k.delete(&profile, SecretKind::RegistryToken).unwrap();
    k.delete(&profile, SecretKind::RegistryToken).unwrap();
    assert_eq!(k.get(&profile, SecretKind::RegistryToken).unwrap(), None);
}
