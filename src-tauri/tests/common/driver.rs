//! A W3C WebDriver client for the real app (wry, WebKitGTK) under Xvfb:
//! Debian's WebKitWebDriver, driven directly over HTTP, starts the built
//! `modeldeck-desktop` as the browser and answers for its window. Shared
//! by the WebDriver suites (`#[path = "common/driver.rs"] mod driver;`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use base64::Engine;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long the app may take to show something (a debug build on 2 busy
/// cores); waiting is polling, not a timed assertion: only never is a failure.
pub const PATIENCE: Duration = Duration::from_secs(120);

pub struct Driver {
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
    /// WebKitWebDriver, ready, for the app on the simulated world
    /// (`MODELDECK_DESKTOP_DEMO=1`).
    pub fn demo() -> Driver {
        Driver::start(|c| {
            c.env("MODELDECK_DESKTOP_DEMO", "1");
        })
    }

    /// WebKitWebDriver, ready; the app it starts inherits its environment,
    /// which `app_env` sets (the profile the app opens, its journal).
    pub fn start(app_env: impl FnOnce(&mut Command)) -> Driver {
        assert!(
            std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()),
            "no DISPLAY: run the WebDriver suites under Xvfb (xvfb-run -a cargo nextest run -p modeldeck-desktop --test <suite> --run-ignored only)"
        );
        let exe = which("WebKitWebDriver").unwrap_or_else(|| {
            panic!("WebKitWebDriver is not on PATH: install Debian's webkit2gtk-driver")
        });
        let port = free_port();
        let mut cmd = Command::new(exe);
        app_env(&mut cmd);
        let child = cmd
            .arg(format!("--port={port}"))
            .arg("--host=127.0.0.1")
            // Without it, POST /session hangs (TEST-INFRA §3).
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
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

    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    pub fn open_app(&mut self, binary: &Path, args: &[&str]) {
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": binary, "args": args }
        }}});
        let v = self.call(reqwest::Method::POST, "/session", Some(caps));
        self.session = Some(v["sessionId"].as_str().expect("a session id").to_string());
    }

    pub fn s(&self) -> String {
        format!("/session/{}", self.session.as_deref().unwrap())
    }

    /// Elements matching `css` now.
    pub fn find_all(&self, css: &str) -> Vec<String> {
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
    pub fn wait_for(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
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

    pub fn text(&self, el: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("{}/element/{el}/text", self.s()),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub fn page_text(&self) -> String {
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
    pub fn invoke(&self, cmd: &str, args: Value) -> Value {
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
    pub fn wait_enabled(&self, css: &str, what: &str) -> String {
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

    pub fn enabled(&self, el: &str) -> bool {
        self.call(
            reqwest::Method::GET,
            &format!("{}/element/{el}/enabled", self.s()),
            None,
        )
        .as_bool()
        .unwrap_or(false)
    }

    pub fn click(&self, el: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("{}/element/{el}/click", self.s()),
            Some(json!({})),
        );
    }

    pub fn type_into(&self, el: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("{}/element/{el}/value", self.s()),
            Some(json!({ "text": text })),
        );
    }

    /// Writes the window's screenshot to `to` and says where.
    pub fn screenshot(&self, to: &Path) {
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
pub fn shot_path(what: &str) -> std::path::PathBuf {
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
