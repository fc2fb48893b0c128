//! Why a command failed, the exit code a CI pipeline sees for it, and how it
//! is reported: one `error: ...` line on stderr, plus a JSON object on stdout
//! when the user asked for `--output json`.

use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use serde::Serialize;
use std::fmt;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Anything not covered below.
    Other = 1,
    /// Bad command line, or nothing configured to run against.
    Usage = 2,
    /// An unknown model, version or alias.
    NotFound = 3,
    /// A backend was unreachable, timed out or failed.
    Backend = 4,
    /// A promotion action was refused (four-eyes, RBAC, a failing gate,
    /// stale data, wrong state): nothing was changed.
    Refused = 5,
    /// A promotion executed, failed and was compensated (rolled back), or
    /// compensation itself failed.
    RolledBack = 6,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// The command line was wrong (beyond what clap checks).
    Usage(String),
    /// The session could not be set up (nothing configured, a bad setting,
    /// an unwritable journal).
    Setup(modeldeck_app::SetupError),
    /// A backend said no, or could not be asked.
    Backend(BackendError),
    /// The promotion service refused or failed an action.
    Promotion(modeldeck_promotion::PromotionError),
    /// Anything else (I/O on stdout, serialization, the terminal).
    Other(anyhow::Error),
}

impl Failure {
    /// The exit code for this failure.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Usage(_) => Exit::Usage,
            Failure::Setup(e) if e.is_user_fixable() => Exit::Usage,
            Failure::Setup(_) => Exit::Other,
            Failure::Backend(e) if e.code == ErrorCode::NotFound => Exit::NotFound,
            Failure::Backend(_) => Exit::Backend,
            Failure::Promotion(e) => promotion_exit(e),
            Failure::Other(_) => Exit::Other,
        }
    }

    /// Stable machine code: the backend's code, or `usage`, `no_profile`, `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Usage(_) => "usage",
            Failure::Setup(e) => e.code(),
            Failure::Backend(e) => e.code.as_str(),
            Failure::Promotion(modeldeck_promotion::PromotionError::Backend(e)) => e.code.as_str(),
            Failure::Promotion(e) => e.code(),
            Failure::Other(_) => "internal",
        }
    }

    /// The JSON error object printed on stdout with `--output json`.
    pub fn to_json(&self) -> ErrorDocument {
        let error = match self {
            Failure::Backend(e)
            | Failure::Promotion(modeldeck_promotion::PromotionError::Backend(e)) => {
                ErrorBody::from(e)
            }
            other => ErrorBody {
                code: other.code().to_string(),
                message: other.to_string(),
                backend: None,
                location: None,
            },
        };
        ErrorDocument { error }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) => f.write_str(m),
            Failure::Setup(e) => write!(f, "{e}"),
            Failure::Backend(e) => write!(f, "{e}"),
            Failure::Promotion(e) => write!(f, "{e}"),
            // `{:#}` prints the whole anyhow chain on one line.
            Failure::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<BackendError> for Failure {
    fn from(e: BackendError) -> Self {
        Failure::Backend(e)
    }
}

impl From<modeldeck_promotion::PromotionError> for Failure {
    fn from(e: modeldeck_promotion::PromotionError) -> Self {
        Failure::Promotion(e)
    }
}

fn promotion_exit(e: &modeldeck_promotion::PromotionError) -> Exit {
    use modeldeck_promotion::PromotionError as P;
    match e {
        P::NotFound { .. } => Exit::NotFound,
        P::Backend(b) if b.code == ErrorCode::NotFound => Exit::NotFound,
        P::Backend(_) => Exit::Backend,
        P::Invalid { .. } => Exit::Usage,
        P::RolledBack { .. } | P::CompensationFailed { .. } => Exit::RolledBack,
        P::Journal(_) | P::Corrupt { .. } | P::TooLarge { .. } => Exit::Other,
        _ => Exit::Refused,
    }
}

impl From<modeldeck_app::SetupError> for Failure {
    fn from(e: modeldeck_app::SetupError) -> Self {
        Failure::Setup(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

/// `{"error": {...}}`.
#[derive(Debug, Serialize)]
pub struct ErrorDocument {
    /// The error.
    pub error: ErrorBody,
}

/// The body of a JSON error (also the `error` of a backend in `status`).
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// Stable code (`not_found`, `unreachable`, `usage`...).
    pub code: String,
    /// One human line.
    pub message: String,
    /// The backend it came from, if any.
    pub backend: Option<Backend>,
    /// URL or object it concerns, if known.
    pub location: Option<String>,
}

impl From<&BackendError> for ErrorBody {
    fn from(e: &BackendError) -> Self {
        ErrorBody {
            code: e.code.as_str().to_string(),
            message: e.message.clone(),
            backend: Some(e.backend),
            location: e.location.clone(),
        }
    }
}

/// Prints a failure: the stderr line always, the JSON object on stdout when
/// `json` is set.
pub fn report(failure: &Failure, json: bool) {
    eprintln!("error: {failure}");
    if json {
        match serde_json::to_string_pretty(&failure.to_json()) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("error: cannot encode the error as JSON: {e}"),
        }
    }
}

/// A not-found error from the registry, with a "did you mean" hint drawn
/// from `known`.
pub fn registry_not_found<'a>(
    what: String,
    wanted: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Failure {
    let message = match closest(wanted, known) {
        Some(s) => format!("{what} not found (did you mean \"{s}\"?)"),
        None => format!("{what} not found"),
    };
    Failure::Backend(BackendError::not_found(Backend::Registry, message))
}

/// The candidate closest to `wanted`, if it is a likely typo of it: a small
/// edit distance to the whole name or to its beginning, or a substring.
pub fn closest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w: Vec<char> = wanted.to_lowercase().chars().collect();
    known
        .into_iter()
        .filter_map(|k| {
            let kl: Vec<char> = k.to_lowercase().chars().collect();
            let full = edit_distance(&w, &kl);
            let mut best = (full <= (w.len().max(kl.len()) / 3).max(2)).then_some(full);
            if w.len() >= 3 {
                if kl.windows(w.len()).any(|win| win == w.as_slice()) {
                    best = Some(0);
                }
                let prefix = (w.len() - 1..=w.len() + 1)
                    .filter(|&p| p <= kl.len())
                    .map(|p| edit_distance(&w, &kl[..p]))
                    .min();
                if let Some(d) = prefix.filter(|&d| d <= (w.len() / 4).max(1)) {
                    best = Some(best.map_or(d, |b| b.min(d)));
                }
            }
            best.map(|d| (d, k))
        })
        .min_by_key(|(d, k)| (*d, k.len()))
        .map(|(_, k)| k)
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let known = ["fraud-detector", "churn-predictor", "ranker"];
        assert_eq!(closest("frad", known), Some("fraud-detector"));
        assert_eq!(closest("fraud-detectr", known), Some("fraud-detector"));
        assert_eq!(closest("rankr", known), Some("ranker"));
        assert_eq!(closest("zzzzzzzz", known), None);
        assert_eq!(closest("detector", known), Some("fraud-detector"));
        assert_eq!(closest("ab", known), None);
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(edit_distance(&c("kitten"), &c("sitting")), 3);
    }

    #[test]
    fn exit_codes_follow_error_codes() {
        let nf = Failure::Backend(BackendError::not_found(Backend::Registry, "x"));
        assert_eq!(nf.exit(), Exit::NotFound);
        let down = Failure::Backend(BackendError::new(
            Backend::Metrics,
            ErrorCode::Unreachable,
            "refused",
        ));
        assert_eq!(down.exit(), Exit::Backend);
        assert_eq!(down.to_json().error.code, "unreachable");
        assert_eq!(Failure::Usage("bad".into()).exit(), Exit::Usage);
    }
}
