//! Helpers shared by the end-to-end suites: run the real `modeldeck` (the
//! workspace's own build of it) with a private log directory and read what
//! it printed. The same helpers as the binary's crate tests.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The binary under test: the `modeldeck` of this workspace's target dir
/// and profile (set by `build.rs`; `cargo nextest run --workspace` builds it
/// for the binary crate's own tests).
pub const BIN: &str = env!("MODELDECK_E2E_BIN");

include!("../../crates/modeldeck/tests/common/shared.rs");
