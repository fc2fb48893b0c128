//! Why a sandbox could not be built: scenario errors that name the field
//! and the line.

use std::fmt;

/// A scenario could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    /// Not valid TOML, an unknown field or a wrong type; the message
    /// carries the line, column and key as the TOML parser reports them.
    #[error("scenario is not valid: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// Well-formed but inconsistent (an unknown model, a missing version).
    #[error("scenario {field}{}: {message}", LineSuffix(*line))]
    Invalid {
        /// Which field, as a path (`workloads[3].model`).
        field: String,
        /// 1-based line of the entry, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A saved world (`--sandbox` state kept between commands) could not
    /// be read back: not JSON of this version's world.
    #[error("saved sandbox state is not readable: {message}")]
    State {
        /// The decoder's message (line and column).
        message: String,
    },
}

struct LineSuffix(Option<usize>);

impl fmt::Display for LineSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(l) => write!(f, " (line {l})"),
            None => Ok(()),
        }
    }
}
