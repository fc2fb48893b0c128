//! Helpers shared by the binary's integration tests: run the real
//! `modeldeck` with a private log directory and read what it printed.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_modeldeck");

include!("shared.rs");
