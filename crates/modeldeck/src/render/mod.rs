//! How a command's result reaches stdout: the same serializable document as
//! JSON or YAML (YAML is produced from the JSON value, so both always have
//! the same shape and NaN becomes `null` in both), or an aligned table.

pub mod table;

use crate::cli::{ColorMode, OutputArgs, OutputFormat};
use crate::failure::Failure;
use anyhow::Context;
use serde::Serialize;
use std::io::{IsTerminal, Write};

/// Where and how a scripting command prints.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    format: OutputFormat,
    color: bool,
}

impl Printer {
    /// A printer for these output options, deciding color now: `auto`
    /// colors only a terminal, and never when `NO_COLOR` is set (non-empty).
    pub fn new(out: OutputArgs) -> Printer {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match out.color {
            ColorMode::Always => true,
            ColorMode::Never => false,
            ColorMode::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        Printer {
            format: out.output,
            color,
        }
    }

    /// Prints `doc` in the chosen format; `table` renders it for people and
    /// is told whether to use color.
    pub fn print<T: Serialize>(
        &self,
        doc: &T,
        table: impl FnOnce(bool) -> String,
    ) -> Result<(), Failure> {
        let text = match self.format {
            OutputFormat::Table => table(self.color),
            OutputFormat::Json => return stream_json(doc),
            OutputFormat::Yaml => to_yaml(doc)?,
        };
        write_stdout(&text)
    }
}

/// Writes `doc` as pretty JSON straight to stdout, without building the
/// whole text first (a 10,000-workload `status` is 7.5 MB of JSON).
fn stream_json<T: Serialize>(doc: &T) -> Result<(), Failure> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, doc)
        .map_err(|e| match e.io_error_kind() {
            Some(kind) => std::io::Error::new(kind, e),
            None => std::io::Error::other(e),
        })
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Other(
            anyhow::Error::new(e).context("writing JSON to stdout"),
        )),
    }
}

/// `doc` as YAML, produced from its JSON value so the shape is identical.
pub fn to_yaml<T: Serialize>(doc: &T) -> Result<String, Failure> {
    let value = serde_json::to_value(doc).context("encoding the output")?;
    Ok(serde_norway::to_string(&value).context("encoding the output as YAML")?)
}

/// Writes to stdout; a closed pipe (`modeldeck status | head`) is not an error.
pub fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Other(
            anyhow::Error::new(e).context("writing to stdout"),
        )),
    }
}

/// A number for a table: fixed decimals, `-` handled by the caller.
pub fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        format!("{v}")
    }
}

/// A metric value for a table: up to 4 decimals, trailing zeros kept short.
pub fn metric(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        return format!("{v:.3e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A signed delta for a table (`+0.0080`, `-1.2`).
pub fn signed(v: f64) -> String {
    let m = metric(v.abs());
    if v > 0.0 {
        format!("+{m}")
    } else if v < 0.0 {
        format!("-{m}")
    } else {
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_tables() {
        assert_eq!(metric(0.91234567), "0.9123");
        assert_eq!(metric(2.0), "2");
        assert_eq!(metric(f64::NAN), "NaN");
        assert_eq!(metric(0.00001), "1.000e-5");
        assert_eq!(signed(0.008), "+0.008");
        assert_eq!(signed(-1.25), "-1.25");
        assert_eq!(fixed(12.345, 1), "12.3");
    }

    #[test]
    fn yaml_has_the_json_shape_and_nan_is_null() {
        #[derive(Serialize)]
        struct D {
            a: f64,
            b: Option<f64>,
            c: Vec<&'static str>,
        }
        let d = D {
            a: f64::NAN,
            b: Some(1.5),
            c: vec!["x"],
        };
        let j: serde_json::Value =
            serde_json::from_str(&serde_json::to_string_pretty(&d).unwrap()).unwrap();
        let y: serde_json::Value = serde_norway::from_str(&to_yaml(&d).unwrap()).unwrap();
        assert_eq!(j, y);
        assert!(j["a"].is_null());
    }
}
