//! A chart's file name from the webview is untrusted: only a new plain
//! file directly inside the chosen directory is ever written.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_desktop::export::{ImageFormat, MAX_NAME_CHARS, file_name, write_new};
use std::path::PathBuf;

/// A fresh scratch directory for one test.
fn scratch(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "modeldeck-export-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn plain_names_get_the_format_extension() {
    assert_eq!(
        file_name("latency", ImageFormat::Png).unwrap(),
        "latency.png"
    );
    assert_eq!(
        file_name(" latency ", ImageFormat::Svg).unwrap(),
        "latency.svg"
    );
    assert_eq!(
        file_name("Chart.PNG", ImageFormat::Png).unwrap(),
        "Chart.PNG"
    );
    assert_eq!(
        file_name("chart.svg", ImageFormat::Png).unwrap(),
        "chart.svg.png"
    );
    assert_eq!(
        file_name("fraud v8 p99 (6h)", ImageFormat::Svg).unwrap(),
        "fraud v8 p99 (6h).svg"
    );
}

#[test]
fn paths_traversal_and_hidden_or_control_names_are_refused() {
    let long = "a".repeat(MAX_NAME_CHARS + 1);
    for bad in [
        "",
        "   ",
        "..",
        ".",
        "../x",
        "../../etc/passwd",
        "a/b",
        "/tmp/x",
        "a\\b",
        "..\\x",
        "C:x",
        ".bashrc",
        ".png",
        "a\nb",
        "a\0b",
        "a\u{202e}gnp.exe",
        long.as_str(),
    ] {
        for f in [ImageFormat::Png, ImageFormat::Svg] {
            let e = file_name(bad, f).expect_err(bad);
            assert_eq!(e.code, "invalid_request", "{bad:?}: {e}");
            assert!(e.message.contains("file name"), "{e}");
            assert!(
                !e.message.contains('\n') && !e.message.contains('\0'),
                "{e:?}"
            );
        }
    }
    // `.png` alone would be a hidden file: refused above; `x.png` is fine.
    assert_eq!(file_name("x.png", ImageFormat::Png).unwrap(), "x.png");
}

#[test]
fn writes_a_new_file_inside_the_directory_only() {
    let dir = scratch("write");
    let path = write_new(&dir, "latency", ImageFormat::Png, b"\x89PNG data").unwrap();
    assert_eq!(path, dir.join("latency.png"));
    assert_eq!(std::fs::read(&path).unwrap(), b"\x89PNG data");
    // The same name again: refused, nothing overwritten.
    let e = write_new(&dir, "latency.png", ImageFormat::Png, b"other").unwrap_err();
    assert_eq!(e.code, "conflict", "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), b"\x89PNG data");
    // A traversal never reaches the parent.
    let e = write_new(&dir, "../escaped", ImageFormat::Svg, b"<svg/>").unwrap_err();
    assert_eq!(e.code, "invalid_request");
    assert!(!dir.parent().unwrap().join("escaped.svg").exists());
    // A missing directory is an error, not a panic.
    let e = write_new(&dir.join("gone"), "x", ImageFormat::Svg, b"<svg/>").unwrap_err();
    assert_eq!(e.code, "internal", "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_planted_symlink_is_not_followed() {
    let dir = scratch("link");
    let outside = scratch("outside");
    let target = outside.join("victim");
    std::fs::write(&target, b"keep me").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("chart.svg")).unwrap();
    let e = write_new(&dir, "chart", ImageFormat::Svg, b"<svg/>").unwrap_err();
    assert_eq!(e.code, "conflict", "{e}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    // A dangling one too.
    std::os::unix::fs::symlink(outside.join("nothing"), dir.join("d.png")).unwrap();
    let e = write_new(&dir, "d", ImageFormat::Png, b"x").unwrap_err();
    assert_eq!(e.code, "conflict", "{e}");
    assert!(!outside.join("nothing").exists());
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}
