//! Basic auth against a real MLflow `--app-name basic-auth` server
//! (`MODELDECK_TEST_MLFLOW_AUTH_URI`, admin password in
//! `MODELDECK_TEST_MLFLOW_AUTH_PASSWORD`): 401 and 403, and no secret in errors.

mod common;

use common::*;
use modeldeck_core::ErrorCode;
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{Auth, MlflowConfig, MlflowRegistry, Secret};
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

#[tokio::test]
async fn admin_reads_and_writes() {
    let admin = client_with(&auth_uri(), basic("admin", &admin_password()), 1000);
    let seed = Seeder::new(&auth_uri()).with_user("admin", &admin_password());
    let model = unique("auth-admin");
    seed.model_with_versions(&model, 2).await;
    let reg = MlflowRegistry::new(admin);
    reg.set_alias(&model, "champion", "2").await.unwrap();
    assert_eq!(
        reg.get_version(&model, "2").await.unwrap().aliases,
        vec!["champion"]
    );
    assert!(
        reg.client()
            .server_version()
            .await
            .unwrap()
            .supports_aliases()
    );
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_unauthenticated() {
    let none = client_with(&auth_uri(), Auth::None, 1000);
    let e = none.search_models(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated, "{e}");
    assert!(e.message.contains("MLFLOW_TRACKING_USERNAME"), "{e}");

    let wrong_pw = "wrong-PASSWORD-987";
    let wrong = client_with(&auth_uri(), basic("admin", wrong_pw), 1000);
    let e = wrong.get_model("anything").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated, "{e}");

    // The basic-auth app does not accept bearer tokens.
    let token = "tok-SECRET-5e1f";
    let bearer = bearer_client(&auth_uri(), token);
    let e = bearer.get_model("anything").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated, "{e}");

    let reg = MlflowRegistry::new(bearer);
    let e2 = reg.list_models().await.unwrap_err();
    let texts = vec![
        e.to_string(),
        format!("{e:?}"),
        e2.to_string(),
        format!("{e2:?}"),
        format!("{reg:?}"),
        reg.describe(),
        format!("{wrong:?}"),
        format!("{:?}", wrong.config()),
        serde_json::to_string(&e).unwrap(),
    ];
    assert_hidden(token, &texts);
    assert_hidden(wrong_pw, &texts);
}

#[tokio::test]
async fn a_reader_without_permission_is_forbidden() {
    let admin_seed = Seeder::new(&auth_uri()).with_user("admin", &admin_password());
    let model = unique("auth-owned");
    admin_seed.model_with_versions(&model, 1).await;
    let user = unique("reader");
    let password = "reader-pass-1234";
    admin_seed
        .post(
            "users/create",
            json!({"username": user, "password": password}),
        )
        .await;

    // default_permission = READ: reads work, writes to the admin's model do not.
    let reader = MlflowRegistry::new(client_with(&auth_uri(), basic(&user, password), 1000));
    assert_eq!(reader.get_version(&model, "1").await.unwrap().version, "1");
    for e in [
        reader.set_alias(&model, "champion", "1").await.unwrap_err(),
        reader
            .set_version_tag(&model, "1", "approved_by", "me")
            .await
            .unwrap_err(),
        reader.delete_alias(&model, "champion").await.unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::Forbidden, "{e}");
        assert!(e.message.contains("Permission denied"), "{e}");
        assert_hidden(password, &[e.to_string(), format!("{e:?}")]);
    }
}

#[tokio::test]
async fn credentials_in_the_uri_become_basic_auth_and_never_show() {
    let uri = auth_uri().replace("http://", &format!("http://admin:{}@", admin_password()));
    let cfg = MlflowConfig::new(&uri, Auth::None).unwrap();
    assert!(!cfg.base_url.as_str().contains('@'));
    let c = modeldeck_mlflow::MlflowClient::new(cfg).unwrap();
    c.search_models_page(None, None, 1).await.unwrap();
    let e = c.get_model(&unique("nope")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert_hidden(
        &admin_password(),
        &[
            e.to_string(),
            format!("{e:?}"),
            format!("{c:?}"),
            c.describe(),
        ],
    );
}
