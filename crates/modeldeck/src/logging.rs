//! Logs go to a daily-rotated file, never to the terminal: the TUI owns the
//! screen and scripting output must stay clean. `MODELDECK_LOG` is an
//! `EnvFilter` directive (default `info`); `MODELDECK_LOG_DIR` overrides the
//! directory (tests use it).

use std::path::PathBuf;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// How many rotated files to keep.
const KEEP_FILES: usize = 7;

/// The log directory: `$MODELDECK_LOG_DIR`, else the platform state dir
/// (`~/.local/state/modeldeck/logs` on Linux); decided by `modeldeck-app`'s
/// paths like every other location.
pub fn log_dir() -> PathBuf {
    crate::session::paths().logs
}

/// Installs the file logger. Returns the guard that flushes the log when
/// dropped (keep it alive until exit), or a warning to print when logging
/// cannot be set up; the program runs on without logs then.
pub fn init() -> Result<WorkerGuard, String> {
    let (filter, bad_filter) = match std::env::var("MODELDECK_LOG") {
        Ok(v) if !v.trim().is_empty() => match EnvFilter::try_new(&v) {
            Ok(f) => (f, None),
            Err(e) => (
                EnvFilter::new("info"),
                Some(format!("MODELDECK_LOG={v:?}: {e}")),
            ),
        },
        _ => (EnvFilter::new("info"), None),
    };
    // kube-client logs an error answer's raw body at debug ("Unsuccessful
    // data error parse: ..."), and the raw body of a 2xx answer it cannot
    // decode at warn (a proxy's login page quoting the token:
    // tests/e2e_failures_more.rs); kube-runtime's watcher the raw Status at
    // debug (at warn for a 403). A server may echo the request's
    // Authorization header or quote the token in them: those two targets
    // stay quiet (errors only) unless the directive names them. The adapter
    // logs the same failures itself, scrubbed (tests/e2e_token_leak.rs).
    let named = std::env::var("MODELDECK_LOG").unwrap_or_default();
    let mut filter = filter;
    for (target, directive) in [
        ("kube_client", "kube_client::client=error"),
        ("kube_runtime", "kube_runtime::watcher=error"),
    ] {
        if !named.contains(target)
            && let Ok(d) = directive.parse()
        {
            filter = filter.add_directive(d);
        }
    }
    let dir = log_dir();
    std::fs::create_dir_all(&dir).map_err(|e| {
        format!(
            "cannot create log directory {}: {e}; logging is off",
            dir.display()
        )
    })?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("modeldeck")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(&dir)
        .map_err(|e| {
            format!(
                "cannot open a log file in {}: {e}; logging is off",
                dir.display()
            )
        })?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(true)
        .try_init()
        .map_err(|e| format!("cannot install the logger: {e}"))?;
    if let Some(msg) = bad_filter {
        tracing::warn!("ignoring invalid log filter {msg}; using info");
    }
    tracing::debug!(dir = %dir.display(), "logging to file");
    Ok(guard)
}
