//! The registry calls and the Registry port against a real MLflow server
//! (`MODELDECK_TEST_MLFLOW_URI`): paging, aliases, tags, joins, not-found.

mod common;

use common::*;
use modeldeck_core::ErrorCode;
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{AliasMode, Auth, MlflowRegistry};

#[tokio::test]
async fn pages_through_250_versions_and_joins_aliases() {
    let seed = Seeder::new(&uri());
    let model = unique("paging");
    seed.model_with_versions(&model, 250).await;
    let client = client_with(&uri(), Auth::None, 40); // 7 pages
    let first = client
        .search_versions_page(Some(&format!("name = '{model}'")), &[], None, 40)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 40);
    assert!(first.next_page_token.is_some());

    let all = client.list_model_versions(&model).await.unwrap();
    assert_eq!(all.len(), 250);
    let nums: Vec<u64> = all.iter().map(|v| v.version.parse().unwrap()).collect();
    assert_eq!(nums, (1..=250).rev().collect::<Vec<u64>>());
    assert!(
        all.iter().all(|v| v.aliases.is_empty()),
        "search carries no aliases"
    );

    client.set_alias(&model, "champion", "7").await.unwrap();
    client.set_alias(&model, "challenger", "250").await.unwrap();
    client.set_alias(&model, "shadow", "250").await.unwrap();
    let reg = MlflowRegistry::new(client);
    let versions = reg.list_versions(&model).await.unwrap();
    assert_eq!(versions.len(), 250);
    assert_eq!(versions[0].version, "250");
    assert_eq!(versions[0].aliases, vec!["challenger", "shadow"]);
    let seven = versions.iter().find(|v| v.version == "7").unwrap();
    assert_eq!(seven.aliases, vec!["champion"]);
    assert_eq!(versions.iter().filter(|v| !v.aliases.is_empty()).count(), 2);
}

#[tokio::test]
async fn pages_through_models_with_a_filter() {
    let seed = Seeder::new(&uri());
    let prefix = unique("mpage");
    for i in 0..7 {
        seed.model(&format!("{prefix}-{i}")).await;
    }
    let client = client_with(&uri(), Auth::None, 3);
    let models = client
        .search_models(Some(&format!("name LIKE '{prefix}-%'")))
        .await
        .unwrap();
    let mut names: Vec<_> = models.into_iter().map(|m| m.name).collect();
    names.sort();
    assert_eq!(
        names,
        (0..7).map(|i| format!("{prefix}-{i}")).collect::<Vec<_>>()
    );
    let none = client
        .search_models(Some(&format!("name = '{prefix}-none'")))
        .await
        .unwrap();
    assert!(none.is_empty(), "an empty search answers {{}}");
}

#[tokio::test]
async fn aliases_set_move_get_delete() {
    let seed = Seeder::new(&uri());
    let model = unique("alias");
    seed.model_with_versions(&model, 3).await;
    let c = client();

    c.set_alias(&model, "champion", "1").await.unwrap();
    assert_eq!(
        c.get_version_by_alias(&model, "champion")
            .await
            .unwrap()
            .version,
        "1"
    );
    c.set_alias(&model, "champion", "3").await.unwrap(); // moves, no delete needed
    let v = c.get_version_by_alias(&model, "champion").await.unwrap();
    assert_eq!(
        (v.version.as_str(), v.aliases.clone()),
        ("3", vec!["champion".to_string()])
    );
    assert!(c.get_version(&model, "1").await.unwrap().aliases.is_empty());

    c.delete_alias(&model, "champion").await.unwrap();
    let e = c
        .get_version_by_alias(&model, "champion")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    assert!(e.message.contains("champion"), "{e}");
    c.delete_alias(&model, "champion").await.unwrap(); // idempotent

    let e = c.set_alias(&model, "champion", "99").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    let e = c.set_alias(&model, "latest", "1").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "reserved alias: {e}");
    let e = c
        .get_version_by_alias(&unique("nomodel"), "champion")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
}

#[tokio::test]
async fn registry_port_reads_models_versions_and_moves_aliases() {
    let seed = Seeder::new(&uri());
    let model = unique("port");
    let run = seed.model_with_versions(&model, 3).await;
    let reg = MlflowRegistry::new(client());
    assert_eq!(reg.alias_mode().await.unwrap(), AliasMode::Aliases);
    assert!(reg.describe().starts_with("mlflow http://127.0.0.1:"));

    reg.set_alias(&model, "champion", "2").await.unwrap();
    reg.set_alias(&model, "challenger", "3").await.unwrap();
    let m = reg.get_model(&model).await.unwrap();
    assert_eq!(m.aliases.get("champion").map(String::as_str), Some("2"));
    assert_eq!(m.latest_version.as_deref(), Some("3"));

    let listed = reg.list_models().await.unwrap();
    let mine = listed
        .iter()
        .find(|x| x.name == model)
        .expect("model listed");
    assert_eq!(mine.aliases, m.aliases);

    let v = reg.get_version(&model, "3").await.unwrap();
    assert_eq!(v.aliases, vec!["challenger"]);
    assert_eq!(v.run_id.as_deref(), Some(run.as_str()));
    assert_eq!(v.source, format!("runs:/{run}/model"));
    assert!(v.created_at.0 > 0);

    reg.set_alias(&model, "champion", "3").await.unwrap();
    reg.delete_alias(&model, "challenger").await.unwrap();
    reg.delete_alias(&model, "challenger").await.unwrap();
    let vs = reg.list_versions(&model).await.unwrap();
    let with: Vec<_> = vs
        .iter()
        .map(|v| (v.version.as_str(), v.aliases.clone()))
        .collect();
    assert_eq!(
        with,
        vec![
            ("3", vec!["champion".to_string()]),
            ("2", vec![]),
            ("1", vec![])
        ]
    );
}

#[tokio::test]
async fn tags_on_models_and_versions() {
    let seed = Seeder::new(&uri());
    let model = unique("tags");
    seed.model_with_versions(&model, 1).await;
    let c = client();
    let reg = MlflowRegistry::new(client());

    reg.set_version_tag(&model, "1", "approved_by", "alice")
        .await
        .unwrap();
    reg.set_version_tag(&model, "1", "approved_by", "bob")
        .await
        .unwrap(); // overwrite
    reg.set_version_tag(&model, "1", "note", "a \"quoted\" value, with ünïcode")
        .await
        .unwrap();
    let v = reg.get_version(&model, "1").await.unwrap();
    assert_eq!(v.tags.get("approved_by").map(String::as_str), Some("bob"));
    assert_eq!(
        v.tags.get("note").map(String::as_str),
        Some("a \"quoted\" value, with ünïcode")
    );
    reg.delete_version_tag(&model, "1", "approved_by")
        .await
        .unwrap();
    reg.delete_version_tag(&model, "1", "approved_by")
        .await
        .unwrap(); // absent: fine
    let v = reg.get_version(&model, "1").await.unwrap();
    assert!(!v.tags.contains_key("approved_by"));

    c.set_model_tag(&model, "owner", "risk").await.unwrap();
    assert_eq!(
        reg.get_model(&model)
            .await
            .unwrap()
            .tags
            .get("owner")
            .map(String::as_str),
        Some("risk")
    );
    c.delete_model_tag(&model, "owner").await.unwrap();
    assert!(reg.get_model(&model).await.unwrap().tags.is_empty());

    let e = reg
        .set_version_tag(&model, "42", "k", "v")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
}

#[tokio::test]
async fn missing_things_are_not_found_with_a_location() {
    let reg = MlflowRegistry::new(client());
    let ghost = unique("ghost");
    for e in [
        reg.get_model(&ghost).await.unwrap_err(),
        reg.list_versions(&ghost).await.unwrap_err(),
        reg.get_version(&ghost, "1").await.unwrap_err(),
        reg.get_run("0123456789abcdef0123456789abcdef")
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::NotFound, "{e}");
        assert_eq!(e.backend, modeldeck_core::error::Backend::Registry);
        let loc = e.location.as_deref().unwrap();
        assert!(loc.starts_with(&uri()), "{loc}");
        assert!(loc.contains("/api/2.0/mlflow/"), "{loc}");
    }
    let e = reg
        .client()
        .get_version(&ghost, "not-a-number")
        .await
        .unwrap_err();
    assert!(
        matches!(e.code, ErrorCode::InvalidRequest | ErrorCode::NotFound),
        "{e}"
    );
}

/// The pre-2.3 fallback, exercised for real: 3.17.2 still serves the
/// deprecated stage routes, so a registry forced into stage mode runs the
/// same calls it would send to an old server.
#[tokio::test]
async fn stage_fallback_against_a_real_server_forced_to_stages() {
    let seed = Seeder::new(&uri());
    let model = unique("stages");
    seed.model_with_versions(&model, 3).await;
    let reg = MlflowRegistry::new(client()).with_alias_mode(AliasMode::Stages);

    reg.set_alias(&model, "champion", "1").await.unwrap();
    reg.set_alias(&model, "challenger", "2").await.unwrap();
    assert_eq!(
        reg.client()
            .get_version(&model, "1")
            .await
            .unwrap()
            .current_stage
            .as_deref(),
        Some("Production")
    );
    let m = reg.get_model(&model).await.unwrap();
    assert_eq!(m.aliases.get("champion").map(String::as_str), Some("1"));
    assert_eq!(m.aliases.get("challenger").map(String::as_str), Some("2"));
    assert!(m.aliases_of("3").is_empty());

    // Moving the champion archives the old one, so the alias stays unique.
    reg.set_alias(&model, "champion", "3").await.unwrap();
    let vs = reg.list_versions(&model).await.unwrap();
    let got: Vec<_> = vs
        .iter()
        .map(|v| (v.version.as_str(), v.aliases.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("3", vec!["champion".to_string()]),
            ("2", vec!["challenger".to_string()]),
            ("1", vec![])
        ]
    );
    assert_eq!(
        reg.client()
            .get_version(&model, "1")
            .await
            .unwrap()
            .current_stage
            .as_deref(),
        Some("Archived")
    );
    assert_eq!(
        reg.get_version(&model, "2").await.unwrap().aliases,
        vec!["challenger"]
    );

    reg.delete_alias(&model, "challenger").await.unwrap();
    assert_eq!(
        reg.client()
            .get_version(&model, "2")
            .await
            .unwrap()
            .current_stage
            .as_deref(),
        Some("None")
    );
    assert!(
        reg.get_version(&model, "2")
            .await
            .unwrap()
            .aliases
            .is_empty()
    );

    let e = reg.set_alias(&model, "shadow", "2").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");
    assert!(e.message.contains("champion and challenger"), "{e}");
}
