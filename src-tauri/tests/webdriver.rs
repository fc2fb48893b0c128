//! The real app (wry, WebKitGTK) under Xvfb, driven over W3C WebDriver by
//! Debian's WebKitWebDriver directly: it opens on the simulated world
//! (`MODELDECK_DESKTOP_DEMO=1`), the inbox lists the demo's pending
//! promotion, a click opens it, Approve with a comment records the
//! approval, and the review shows it; executing it ends in Promoted.
//! Screenshots of the inbox, the promotion, the approved review and the
//! promoted one are written to `<target dir>/desktop-webdriver-{inbox,detail,approved,promoted}.png`.
//!
//! Needs a display (run under `xvfb-run`), `WebKitWebDriver`
//! (`webkit2gtk-driver`) and `ui/dist`; it fails, naming what is missing,
//! without them. `#[ignore]`d so the default `cargo test` needs no display;
//! run it with
//! `xvfb-run -a cargo test -p modeldeck-desktop --test webdriver -- --ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

#[path = "common/driver.rs"]
mod driver;

use driver::{Driver, PATIENCE, shot_path};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver: xvfb-run -a cargo test -p modeldeck-desktop --test webdriver -- --ignored"]
fn approve_the_demo_promotion_in_the_real_app() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    assert!(
        dist.is_file(),
        "ui/dist is not built: cd ui && npm run build"
    );
    let binary = Path::new(env!("CARGO_BIN_EXE_modeldeck-desktop"));
    let mut d = Driver::demo();
    d.open_app(binary, &[]);

    // The inbox lists the demo's pending promotion (requested by dana.kowalski).
    let row = d.wait_for("[data-testid=inbox-row]", "the inbox row", |t| {
        t.contains("dana.kowalski")
    });
    let _ = row;
    // The inbox may be read again once the session's profile is shown (a
    // "Loading the inbox" flash): screenshot it when both are on the page.
    d.wait_for("body", "the inbox with the session shown", |t| {
        t.contains("sandbox-admin")
            && t.contains("dana.kowalski")
            && !t.contains("Loading the inbox")
    });
    d.screenshot(&shot_path("inbox"));
    // Click the row's requester cell (WebKitWebDriver clicks cells, not rows).
    let cell = d.wait_for("[data-testid=inbox-row] td", "a cell of the row", |t| {
        t.contains("dana.kowalski")
    });
    d.click(&cell);

    // The promotion opens with its decision box; Approve is allowed for
    // sandbox-admin (not the requester).
    d.wait_for(
        "[data-testid=promotion-title]",
        "the promotion title",
        |t| !t.is_empty(),
    );
    let approve = d.wait_enabled("[data-testid=action-approve]", "Approve");
    d.screenshot(&shot_path("detail"));
    let comment = d
        .find_all("[data-testid=comment]")
        .into_iter()
        .next()
        .expect("a comment box");
    let said = "Evidence checked in Modeldeck Desktop (webdriver)";
    d.type_into(&comment, said);
    d.click(&approve);

    // The review shows the approval, by sandbox-admin, with the comment, counting.
    let approvals = d.wait_for("[data-testid=approvals]", "the approval", |t| {
        t.contains("sandbox-admin") && t.contains("approved") && t.contains(said)
    });
    let text = d.text(&approvals);
    assert!(text.contains("counts"), "{text}");
    d.screenshot(&shot_path("approved"));

    // Execute: the simulated rollout bakes 20 s on the wall clock, then the
    // promotion shows Promoted.
    let execute = d.wait_enabled("[data-testid=action-execute]", "Execute");
    if let Some(confirm) = d
        .find_all("[data-testid=confirm-inconclusive]")
        .into_iter()
        .next()
    {
        d.click(&confirm);
    }
    d.click(&execute);
    d.wait_for(".title-row", "the promotion Promoted", |t| {
        t.contains("Promoted")
    });
    d.screenshot(&shot_path("promoted"));
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver: xvfb-run -a cargo test -p modeldeck-desktop --test webdriver -- --ignored"]
fn a_start_link_opens_a_promotion_and_ungranted_commands_are_refused() {
    let binary = Path::new(env!("CARGO_BIN_EXE_modeldeck-desktop"));
    let mut d = Driver::demo();
    // As the OS starts the app for a clicked link: the link is the only argument.
    let link = "modeldeck://promotion/promo-from-a-link?profile=sandbox";
    d.open_app(binary, &[link]);
    d.wait_for("body", "the page", |t| !t.is_empty());
    // The window takes the link it was started with and routes to the
    // promotion it names (unknown here, so the detail shows the error).
    let start = Instant::now();
    let hash = loop {
        let hash = d.call(
            reqwest::Method::POST,
            &format!("{}/execute/sync", d.s()),
            Some(json!({ "script": "return location.hash", "args": [] })),
        );
        let hash = hash.as_str().unwrap_or_default().to_string();
        if hash.contains("promo-from-a-link") || start.elapsed() > PATIENCE {
            break hash;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        hash, "#/promotion/promo-from-a-link",
        "the start link was not opened"
    );
    // It was taken once: nothing is left pending.
    let again = d.invoke("take_open", json!({}));
    assert_eq!(again, json!({ "ok": null }), "{again}");
    // A granted command answers from the real webview.
    let info = d.invoke("session_info", json!({}));
    assert_eq!(info["ok"]["profile"], "sandbox", "{info}");
    // Commands the capability does not grant are refused by the ACL.
    for cmd in [
        "plugin:window|close",
        "plugin:notification|notify",
        "plugin:deep-link|register",
    ] {
        let r = d.invoke(cmd, json!({}));
        let err = r["err"]
            .as_str()
            .unwrap_or_else(|| panic!("{cmd} was not refused: {r}"));
        assert!(err.contains("not allowed"), "{cmd}: {err}");
    }
}
