//! The capability grants exactly our commands (and listening to events):
//! a command it does not list is refused before it runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::TestApp;
use serde_json::json;

#[test]
fn the_capability_lists_exactly_our_commands() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cap: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("capabilities/default.json")).unwrap(),
    )
    .unwrap();
    let mut granted: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    granted.sort();
    let mut want: Vec<String> = modeldeck_desktop::COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .chain([
            "core:event:allow-listen".into(),
            "core:event:allow-unlisten".into(),
        ])
        .collect();
    want.sort();
    assert_eq!(granted, want);
    assert_eq!(cap["windows"], json!(["main"]));
    // build.rs lists the same commands (so each needs its permission).
    let build = std::fs::read_to_string(dir.join("build.rs")).unwrap();
    for c in modeldeck_desktop::COMMANDS {
        assert!(build.contains(&format!("\"{c}\"")), "build.rs lacks {c}");
    }
    let listed = build.matches("\",\n").count();
    assert_eq!(
        listed,
        modeldeck_desktop::COMMANDS.len(),
        "build.rs lists other commands"
    );
    // And the bindings' contract names the same commands.
    let sigs: Vec<&str> = modeldeck_desktop::bindings::COMMAND_SIGNATURES
        .iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(sigs, modeldeck_desktop::COMMANDS);
}

#[test]
fn commands_not_granted_are_refused() {
    let app = TestApp::demo();
    // A granted command runs.
    if let Err(e) = app.invoke("fleet", json!({})) {
        panic!("fleet: {e}");
    }
    // Core plugins the capability does not grant are refused.
    for cmd in [
        "plugin:window|close",
        "plugin:webview|print",
        "plugin:event|emit",
        "plugin:app|app_hide",
        // The plugins we use work from Rust; the window gets none of their commands.
        "plugin:notification|notify",
        "plugin:deep-link|get_current",
        "plugin:deep-link|register",
    ] {
        let e = app.invoke(cmd, json!({})).expect_err(cmd);
        let text = e.to_string();
        assert!(
            text.contains("not allowed") || text.contains("not found"),
            "{cmd}: {text}"
        );
    }
    // A command that is neither registered nor granted.
    let e = app.invoke("delete_everything", json!({})).unwrap_err();
    assert!(e.to_string().contains("not"), "{e}");
}
