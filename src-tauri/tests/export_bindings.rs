//! Regenerates the TypeScript bindings in `ui/src/lib/gen/` from the Rust
//! types (ts-rs). Deterministic: the directory is emptied first, so a
//! removed type leaves no file behind; CI runs this and then
//! `git diff --exit-code ui/src/lib/gen`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::Path;

#[test]
fn export_bindings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(modeldeck_desktop::bindings::GEN_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    modeldeck_desktop::bindings::export(&dir).unwrap();
    let mut names = Vec::new();
    files(&dir, &dir, &mut names);
    for t in [
        "SessionInfo.ts",
        "InboxItem.ts",
        "Review.ts",
        "DesktopError.ts",
        "commands.ts",
    ] {
        assert!(names.iter().any(|n| n == t), "{t} not written: {names:?}");
    }
    // Every named type commands.ts imports was written.
    let commands = std::fs::read_to_string(dir.join("commands.ts")).unwrap();
    for line in commands.lines().filter(|l| l.starts_with("import type")) {
        let file = line.split('"').nth(1).unwrap().trim_start_matches("./");
        assert!(
            names.iter().any(|n| *n == format!("{file}.ts")),
            "commands.ts imports {file}, which was not written"
        );
    }
    // Timestamps and counts are numbers on the wire, never bigint.
    for n in &names {
        let text = std::fs::read_to_string(dir.join(n)).unwrap();
        assert!(!text.contains("bigint"), "{n} uses bigint:\n{text}");
    }
}

/// Every file under `dir`, relative to `root`, `/`-separated.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(root, &p, out);
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
}
