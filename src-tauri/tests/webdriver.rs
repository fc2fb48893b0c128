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

use base64::Engine;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long the app may take to show something (a debug build on 2 busy
/// cores); waiting is polling, not a timed assertion: only never is a failure.
const PATIENCE: Duration = Duration::from_secs(120);

struct Driver {
    child: Child,
    base: String,
    http: reqwest::blocking::Client,
    session: Option<String>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let _ = self
                .http
                .delete(format!("{}/session/{s}", self.base))
                .send();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start() -> Driver {
        assert!(
            std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()),
            "no DISPLAY: run this test under Xvfb (xvfb-run -a cargo test -p modeldeck-desktop --test webdriver -- --ignored)"
        );
        let exe = which("WebKitWebDriver").unwrap_or_else(|| {
            panic!("WebKitWebDriver is not on PATH: install Debian's webkit2gtk-driver")
        });
        let port = free_port();
        let child = Command::new(exe)
            .arg(format!("--port={port}"))
            .arg("--host=127.0.0.1")
            // Without it, POST /session hangs (TEST-INFRA §3).
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("MODELDECK_DESKTOP_DEMO", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("WebKitWebDriver starts");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(180))
            .build()
            .unwrap();
        let mut d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
            session: None,
        };
        d.wait_ready();
        d
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Ok(r) = self.http.get(format!("{}/status", self.base)).send()
                && r.status().is_success()
            {
                return;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("WebKitWebDriver exited: {st}");
            }
            assert!(
                start.elapsed() < PATIENCE,
                "WebKitWebDriver never answered /status"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let v: Value = resp.json().unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status}: {v}");
        v["value"].clone()
    }

    fn open_app(&mut self, binary: &Path, args: &[&str]) {
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": binary, "args": args }
        }}});
        let v = self.call(reqwest::Method::POST, "/session", Some(caps));
        self.session = Some(v["sessionId"].as_str().expect("a session id").to_string());
    }

    fn s(&self) -> String {
        format!("/session/{}", self.session.as_deref().unwrap())
    }

    /// Elements matching `css` now.
    fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.call(
            reqwest::Method::POST,
            &format!("{}/elements", self.s()),
            Some(json!({ "using": "css selector", "value": css })),
        );
        v.as_array()
            .unwrap_or_else(|| panic!("find {css}: not a list: {v}"))
            .iter()
            .map(|e| {
                e[ELEMENT]
                    .as_str()
                    .unwrap_or_else(|| panic!("find {css}: not an element: {e}"))
                    .to_string()
            })
            .collect()
    }

    /// Waits until `css` matches an element for which `ok(text)` holds.
    fn wait_for(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            for el in self.find_all(css) {
                last = self.text(&el);
                if ok(&last) {
                    return el;
                }
            }
            assert!(
                start.elapsed() < PATIENCE,
                "never saw {what} ({css}); last text: {last:?}; page text: {:?}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn text(&self, el: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("{}/element/{el}/text", self.s()),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    fn page_text(&self) -> String {
        self.call(
            reqwest::Method::POST,
            &format!("{}/execute/sync", self.s()),
            Some(json!({ "script": "return document.body.innerText", "args": [] })),
        )
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(2000)
        .collect()
    }

    /// Runs `invoke(cmd, args)` in the page through Tauri's internal IPC
    /// (the path the UI's gateway takes) and returns `{ ok }` or `{ err }`.
    fn invoke(&self, cmd: &str, args: Value) -> Value {
        let script = "const [cmd, args, done] = arguments;\
            window.__TAURI_INTERNALS__.invoke(cmd, args)\
              .then((ok) => done({ ok: ok === undefined ? null : ok }))\
              .catch((err) => done({ err: String(err && err.message ? err.message : JSON.stringify(err)) }));";
        self.call(
            reqwest::Method::POST,
            &format!("{}/execute/async", self.s()),
            Some(json!({ "script": script, "args": [cmd, args] })),
        )
    }

    /// Waits until the element `css` exists and is enabled.
    fn wait_enabled(&self, css: &str, what: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(b) = self.find_all(css).into_iter().next()
                && self.enabled(&b)
            {
                return b;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{what} never became enabled; page: {:?}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn enabled(&self, el: &str) -> bool {
        self.call(
            reqwest::Method::GET,
            &format!("{}/element/{el}/enabled", self.s()),
            None,
        )
        .as_bool()
        .unwrap_or(false)
    }

    fn click(&self, el: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("{}/element/{el}/click", self.s()),
            Some(json!({})),
        );
    }

    fn type_into(&self, el: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("{}/element/{el}/value", self.s()),
            Some(json!({ "text": text })),
        );
    }

    /// Writes the window's screenshot to `to` and says where.
    fn screenshot(&self, to: &Path) {
        let b64 = self.call(
            reqwest::Method::GET,
            &format!("{}/screenshot", self.s()),
            None,
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(to, png).unwrap_or_else(|e| panic!("writing {}: {e}", to.display()));
        eprintln!("screenshot: {}", to.display());
    }
}

/// `<target dir>/desktop-webdriver-<what>.png` (docs/screenshots/desktop-*.png
/// are copied from these): the target directory cargo builds into, which is
/// not `<repo>/target` when CARGO_TARGET_DIR points elsewhere (a clean
/// clone in CI).
fn shot_path(what: &str) -> std::path::PathBuf {
    // CARGO_TARGET_TMPDIR is `<target dir>/tmp`, made by cargo for integration tests.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp);
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir.join(format!("desktop-webdriver-{what}.png"))
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver: xvfb-run -a cargo test -p modeldeck-desktop --test webdriver -- --ignored"]
fn approve_the_demo_promotion_in_the_real_app() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    assert!(
        dist.is_file(),
        "ui/dist is not built: cd ui && npm run build"
    );
    let binary = Path::new(env!("CARGO_BIN_EXE_modeldeck-desktop"));
    let mut d = Driver::start();
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
    let mut d = Driver::start();
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
