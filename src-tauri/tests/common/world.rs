//! `crate::common` for the desktop suites that reuse the top-level
//! end-to-end world (`tests/real`, `tests/people`, `tests/tmux`, included
//! with `#[path]`): the workspace's own `modeldeck` CLI and the helpers
//! the binary's tests and the top-level suites share.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const DESKTOP: &str = env!("CARGO_BIN_EXE_modeldeck-desktop");

/// The CLI under test: `modeldeck` beside this build's `modeldeck-desktop`
/// (`<target>/<profile>/`), built by the workspace build (alone:
/// `cargo build -p modeldeck`); [`need_cli`] says so when it is missing.
pub const BIN: &str = DESKTOP.split_at(DESKTOP.len() - "-desktop".len()).0;

/// Fails, naming the build to run, when the CLI is not built.
pub fn need_cli() {
    assert!(
        std::path::Path::new(BIN).is_file(),
        "{BIN} is not built: cargo build -p modeldeck (scripts/test.sh builds the workspace first)"
    );
}

include!("../../../crates/modeldeck/tests/common/shared.rs");
