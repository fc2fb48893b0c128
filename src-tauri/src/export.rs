//! Where a saved chart image goes. The file name comes from the webview,
//! so it is attacker-controlled input: it may only name a new file directly
//! inside the user's download directory. No path, no `..`, no separators,
//! no hidden or control-character names; the extension is the format's;
//! an existing file (or a symlink planted under that name) is never
//! written through, the write creates the file or fails.
//!
//! Used by the `save_chart` command ([`crate::save_chart`]), which draws
//! the image with `modeldeck-report`, as `modeldeck report` draws it.

use crate::error::{DeskResult, DesktopError};
use modeldeck_core::error::ErrorCode;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Longest file name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// An image format a chart is saved as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// A PNG bitmap.
    Png,
    /// An SVG document.
    Svg,
}

impl ImageFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }
}

/// The file name `name` stands for: trimmed, with the format's extension
/// appended unless it already ends with it (any case).
///
/// Errors (`invalid_request`, naming the problem): empty, longer than
/// [`MAX_NAME_CHARS`], `.` or `..` or starting with a dot, containing `/`,
/// `\`, `:`, a control character or a bidi override.
pub fn file_name(name: &str, format: ImageFormat) -> DeskResult<String> {
    let n = name.trim();
    let bad = |why: &str| {
        Err(DesktopError::invalid(format!(
            "save chart: the file name {:?} {why}; give a plain file name such as chart.{}",
            modeldeck_core::text::clean(n),
            format.extension()
        )))
    };
    if n.is_empty() {
        return bad("is empty");
    }
    if n.chars().count() > MAX_NAME_CHARS {
        return bad(&format!("is longer than {MAX_NAME_CHARS} characters"));
    }
    if n.contains(['/', '\\', ':']) {
        return bad("contains a path separator");
    }
    if n.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }) {
        return bad("contains a control character");
    }
    if n.starts_with('.') {
        return bad("starts with a dot");
    }
    let ext = format!(".{}", format.extension());
    if n.to_ascii_lowercase().ends_with(&ext) && n.len() > ext.len() {
        Ok(n.to_string())
    } else {
        Ok(format!("{n}{ext}"))
    }
}

/// Writes `bytes` as a new file `name` (checked by [`file_name`]) directly
/// in `dir`; returns its path.
///
/// Errors: a bad name (`invalid_request`); a file of that name exists,
/// including a symlink (`conflict`: nothing is overwritten or followed);
/// the directory is missing or not writable (`internal`, with the OS
/// error).
pub fn write_new(dir: &Path, name: &str, format: ImageFormat, bytes: &[u8]) -> DeskResult<PathBuf> {
    let name = file_name(name, format)?;
    let path = dir.join(&name);
    // create_new is O_CREAT | O_EXCL: it fails on any existing entry and
    // does not follow a symlink in the final component.
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(DesktopError::new(
                ErrorCode::Conflict.as_str(),
                format!(
                    "save chart: {} already exists in {}; choose another name",
                    name,
                    dir.display()
                ),
            ));
        }
        Err(e) => {
            return Err(DesktopError::new(
                "internal",
                format!("save chart: cannot create {}: {e}", path.display()),
            ));
        }
    };
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| {
            DesktopError::new(
                "internal",
                format!("save chart: writing {} failed: {e}", path.display()),
            )
        })?;
    Ok(path)
}
