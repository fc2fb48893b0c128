//! The needles of the token-leak suite: planted secrets, the forms each
//! could leak in (raw, and base64 `user:password` for basic auth), and the
//! search through every file a run wrote.

#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::path::{Path, PathBuf};

/// A value unique to this run and slot, that nothing else would print.
pub fn planted(slot: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("Pl4nted{slot}{}z{nanos}", std::process::id())
}

/// The `Authorization: Basic` form of `user:password`.
pub fn basic_form(user: &str, password: &str) -> String {
    STANDARD.encode(format!("{user}:{password}"))
}

/// The secrets of one scenario, each with the forms it could leak in.
#[derive(Default)]
pub struct Needles(Vec<(String, String)>);

impl Needles {
    pub fn token(&mut self, slot: &str, value: &str) {
        self.0.push((slot.to_string(), value.to_string()));
    }

    pub fn basic(&mut self, slot: &str, user: &str, password: &str) {
        self.token(slot, password);
        self.0.push((
            format!("{slot} (base64 user:password)"),
            basic_form(user, password),
        ));
    }

    /// Panics naming the secret, the place and a little context.
    pub fn assert_absent(&self, place: &str, text: &str) {
        for (slot, needle) in &self.0 {
            if let Some(at) = text.find(needle.as_str()) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(120)
                    .map_or(0, |(i, _)| i);
                let to = (at + needle.len() + 60).min(text.len());
                let to = (to..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap();
                panic!(
                    "{slot} leaks in {place}: ...{}...",
                    &text[from..to].replace(needle.as_str(), "<<SECRET>>")
                );
            }
        }
    }
}

/// Every file under `dir`, recursively, lossily as text.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}
