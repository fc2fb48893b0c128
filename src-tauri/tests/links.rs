//! Deep links become an `open` request the window takes (`take_open`), and
//! a new inbox item becomes a notification whose text is plain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::TestApp;
use modeldeck_desktop::links::open_event;
use modeldeck_desktop::notify::{Seen, body};
use modeldeck_desktop::views::InboxItem;
use serde_json::{Value, json};
use tauri::Emitter;

#[test]
fn a_link_names_a_promotion_and_a_foreign_one_is_refused() {
    let ev = open_event("modeldeck://promotion/promo-82a66a4e467d?profile=sandbox").unwrap();
    assert_eq!(ev.promotion_id, "promo-82a66a4e467d");
    assert_eq!(ev.profile.as_deref(), Some("sandbox"));
    let ev = open_event("modeldeck://promotion/a%20b?profile=prod%2Deu").unwrap();
    assert_eq!(ev.promotion_id, "a b");
    assert_eq!(ev.profile.as_deref(), Some("prod-eu"));
    for bad in [
        "https://promotion/x?profile=p",
        "modeldeck://approve/x?profile=p",
        "modeldeck://promotion/?profile=p",
        "modeldeck://promotion/x%0a?profile=p",
    ] {
        assert!(open_event(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn a_link_arriving_while_running_is_taken_once() {
    let app = TestApp::demo();
    assert_eq!(app.ok("take_open", json!({})), Value::Null);
    // What the deep-link plugin sends when the OS hands the app a link.
    let id = app.pending_id();
    let link = format!("modeldeck://promotion/{id}?profile=sandbox");
    app.app
        .emit("deep-link://new-url", vec![link.clone()])
        .unwrap();
    let taken = app.ok("take_open", json!({}));
    assert_eq!(taken, json!({ "promotion_id": id, "profile": "sandbox" }));
    assert_eq!(app.ok("take_open", json!({})), Value::Null);
    // A foreign link opens nothing.
    app.app
        .emit(
            "deep-link://new-url",
            vec!["https://evil.example/promotion/x"],
        )
        .unwrap();
    assert_eq!(app.ok("take_open", json!({})), Value::Null);
}

#[test]
fn new_inbox_items_are_notified_once_with_plain_text() {
    let app = TestApp::demo();
    let items: Vec<InboxItem> = {
        // The demo's inbox as the command returns it, read back into the type.
        let v = app.ok("inbox", json!({}));
        assert_eq!(v.as_array().unwrap().len(), 1);
        let d = app.desk();
        tauri::async_runtime::block_on(modeldeck_desktop::commands::inbox_of(&d.session())).unwrap()
    };
    let mut seen = Seen::default();
    // The inbox the app opens on is not news.
    assert!(seen.arrivals(&items).is_empty());
    assert!(seen.arrivals(&items).is_empty());
    assert!(seen.arrivals(&[]).is_empty());
    let back = seen.arrivals(&items);
    assert_eq!(back.len(), 1);
    let mut hostile = items[0].clone();
    hostile.status.promotion.model = "<b>x</b>&\u{202e}".into();
    let text = body(&hostile);
    assert!(
        text.starts_with("&lt;b&gt;x&lt;/b&gt;&amp;\u{fffd} v"),
        "{text}"
    );
}
