//! Reference profiles on a real basic-auth MLflow server
//! (`MODELDECK_TEST_MLFLOW_AUTH_URI`, admin password in
//! `MODELDECK_TEST_MLFLOW_AUTH_PASSWORD`): the upload and the download go
//! through the artifact proxy with the credentials, a reader cannot log
//! one, and no password or token ever shows in an error.

mod common;

use common::*;
use modeldeck_core::ErrorCode;
use modeldeck_core::drift::{Distribution, FeatureProfile, PROFILE_SCHEMA, ReferenceProfile};
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{Auth, MlflowRegistry, Secret};
use serde_json::json;

fn auth_uri() -> String {
    env_or_fail("MODELDECK_TEST_MLFLOW_AUTH_URI")
}

fn admin_password() -> String {
    env_or_fail("MODELDECK_TEST_MLFLOW_AUTH_PASSWORD")
}

fn basic(user: &str, password: &str) -> Auth {
    Auth::Basic {
        username: user.to_string(),
        password: Secret::new(password),
    }
}

fn profile() -> ReferenceProfile {
    ReferenceProfile {
        schema: PROFILE_SCHEMA,
        created_at: "2026-12-05T10:00:00Z".into(),
        rows: 3,
        source_digest: None,
        features: vec![FeatureProfile {
            name: "amount".into(),
            dist: Distribution::Numeric {
                edges: vec![1.0],
                counts: vec![1, 2],
            },
            missing: 0,
            stats: None,
        }],
        prediction: None,
        label: None,
        policy: Default::default(),
    }
}

#[tokio::test]
async fn profiles_travel_with_the_credentials_and_never_leak_them() {
    let admin_seed = Seeder::new(&auth_uri()).with_user("admin", &admin_password());
    let model = unique("auth-prof");
    admin_seed.model_with_versions(&model, 1).await;
    let admin = MlflowRegistry::new(client_with(
        &auth_uri(),
        basic("admin", &admin_password()),
        1000,
    ));
    admin
        .log_reference_profile(&model, "1", &profile())
        .await
        .unwrap();
    assert_eq!(
        admin.reference_profile(&model, "1").await.unwrap(),
        Some(profile())
    );

    // default_permission = READ: a reader reads the profile but cannot log one.
    let user = unique("prof-reader");
    let password = "reader-pass-prof-8812";
    admin_seed
        .post(
            "users/create",
            json!({"username": user, "password": password}),
        )
        .await;
    let reader = MlflowRegistry::new(client_with(&auth_uri(), basic(&user, password), 1000));
    assert_eq!(
        reader.reference_profile(&model, "1").await.unwrap(),
        Some(profile())
    );
    let e = reader
        .log_reference_profile(&model, "1", &profile())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "{e}");
    assert!(e.message.contains(&model), "{e}");

    // wrong password, and a bearer token the basic-auth app does not take
    let wrong_pw = "wrong-PROFILE-pw-4471";
    let wrong = MlflowRegistry::new(client_with(&auth_uri(), basic("admin", wrong_pw), 1000));
    let e2 = wrong.reference_profile(&model, "1").await.unwrap_err();
    assert_eq!(e2.code, ErrorCode::Unauthenticated, "{e2}");
    let token = "tok-PROFILE-SECRET-93af";
    let bearer = MlflowRegistry::new(bearer_client(&auth_uri(), token));
    let e3 = bearer
        .log_reference_profile(&model, "1", &profile())
        .await
        .unwrap_err();
    assert_eq!(e3.code, ErrorCode::Unauthenticated, "{e3}");
    let texts: Vec<String> = [&e, &e2, &e3]
        .iter()
        .flat_map(|e| {
            [
                e.to_string(),
                format!("{e:?}"),
                serde_json::to_string(e).unwrap(),
            ]
        })
        .chain([format!("{wrong:?}"), format!("{bearer:?}")])
        .collect();
    assert_hidden(password, &texts);
    assert_hidden(wrong_pw, &texts);
    assert_hidden(token, &texts);
    assert_hidden(&admin_password(), &texts);
}
