//! The app on Tauri's mock runtime, on the simulated world, and a typed
//! `invoke` going through the real IPC path (ACL, argument parsing,
//! serialization).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)] // test helpers outside #[test] fns

use modeldeck_desktop::{Desk, DesktopOptions};
use serde_json::{Value, json};
use std::sync::{Mutex, MutexGuard};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow};

/// Sandbox sessions of one process share a scratch journal: one app at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// An app on the simulated world and its `main` window.
pub struct TestApp {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    _guard: MutexGuard<'static, ()>,
}

impl TestApp {
    /// The app as `main.rs` builds it, forced onto the simulated world.
    pub fn demo() -> TestApp {
        TestApp::with(DesktopOptions {
            force_demo: true,
            sandbox_user: None,
        })
    }

    /// The app with `opts`.
    pub fn with(opts: DesktopOptions) -> TestApp {
        let guard = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut app = modeldeck_desktop::configure(mock_builder(), opts)
            .build(tauri::generate_context!())
            .expect("the app builds on the mock runtime");
        // The mock runtime has no event loop: one iteration runs `setup`
        // (the config's windows, the session, the event pump) as `run` does.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let window = match app.get_webview_window("main") {
            Some(w) => w,
            None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
                .build()
                .unwrap(),
        };
        TestApp {
            app,
            window,
            _guard: guard,
        }
    }

    /// Invokes `cmd` with `args` from the main window, as `invoke(cmd, args)`
    /// in the UI; `Err` is the rejected value.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_from(&self.window, cmd, args)
    }

    /// Invokes and expects success.
    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        match self.invoke(cmd, args.clone()) {
            Ok(v) => v,
            Err(e) => panic!("{cmd}({args}) failed: {e}"),
        }
    }

    /// Invokes and expects a `{ code, message }` error; returns it.
    pub fn err(&self, cmd: &str, args: Value) -> (String, String) {
        match self.invoke(cmd, args.clone()) {
            Ok(v) => panic!("{cmd}({args}) succeeded, expected an error: {v}"),
            Err(e) => (
                e["code"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{cmd}: error without a code: {e}"))
                    .to_string(),
                e["message"].as_str().unwrap_or_default().to_string(),
            ),
        }
    }

    /// The session state, to set up what a registry would hold.
    pub fn desk(&self) -> tauri::State<'_, Desk> {
        self.app.state::<Desk>()
    }

    /// Waits until the console has read the cluster and the registry once
    /// (the live refresh started with the session), as the window waits
    /// for the first `snapshot` event. Bounded: a world that never loads
    /// fails the test.
    pub fn wait_loaded(&self) {
        use modeldeck_core::console::BackendState;
        use modeldeck_core::error::Backend;
        let s = self.desk().session();
        let mut rx = s.console.subscribe();
        let loaded = tauri::async_runtime::block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(120), async {
                loop {
                    let snap = rx.borrow_and_update().clone();
                    if [Backend::Cluster, Backend::Registry]
                        .iter()
                        .all(|&b| snap.backend_state(b) != BackendState::Loading)
                    {
                        return;
                    }
                    if rx.changed().await.is_err() {
                        return;
                    }
                }
            })
            .await
        });
        assert!(
            loaded.is_ok(),
            "the simulated world did not load within 120 s"
        );
    }

    /// The id of the demo's pending promotion (the inbox's only row).
    pub fn pending_id(&self) -> String {
        let inbox = self.ok("inbox", json!({}));
        inbox[0]["status"]["promotion"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("the demo's inbox is empty: {inbox}"))
            .to_string()
    }
}

/// Invokes `cmd` from `window`.
pub fn invoke_from(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: tauri::ipc::InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|b| b.deserialize::<Value>().unwrap())
}
