//! The drift math: pure functions over binned counts. Formulas, smoothing
//! and log bases are stated on each function and in `docs/drift.md`.
//! (Bodies being written: see issue 10.)

use serde::{Deserialize, Serialize};

/// A drift method. Every score carries its method so two tools' numbers are
/// never confused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Population stability index (natural log, epsilon-smoothed).
    Psi,
    /// Two-sample Kolmogorov-Smirnov on the binned CDFs; drift when the
    /// p-value is below the threshold.
    Ks,
    /// Jensen-Shannon distance, log base 2 (0..=1).
    JensenShannon,
    /// Wasserstein-1 between bin centres, divided by the reference std.
    Wasserstein,
    /// Pearson chi-square test of the live counts against the reference
    /// proportions; drift when the p-value is below the threshold.
    ChiSquare,
    /// Hellinger distance (0..=1).
    Hellinger,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 6] = [
        Method::Psi,
        Method::Ks,
        Method::JensenShannon,
        Method::Wasserstein,
        Method::ChiSquare,
        Method::Hellinger,
    ];

    /// Short label shown next to every score (`psi`, `ks`, `js`, `wasserstein`, `chi2`, `hellinger`).
    pub fn label(self) -> &'static str {
        match self {
            Method::Psi => "psi",
            Method::Ks => "ks",
            Method::JensenShannon => "js",
            Method::Wasserstein => "wasserstein",
            Method::ChiSquare => "chi2",
            Method::Hellinger => "hellinger",
        }
    }

    /// Whether the score is a p-value (low means drift) rather than a
    /// distance (high means drift).
    pub fn is_p_value(self) -> bool {
        matches!(self, Method::Ks | Method::ChiSquare)
    }

    /// The default threshold (Evidently's defaults: PSI 0.1, KS and
    /// chi-square p 0.05, Jensen-Shannon 0.1, Wasserstein 0.1, Hellinger 0.1).
    pub fn default_threshold(self) -> f64 {
        match self {
            Method::Psi => 0.1,
            Method::Ks | Method::ChiSquare => 0.05,
            Method::JensenShannon | Method::Wasserstein | Method::Hellinger => 0.1,
        }
    }
}

/// One method's verdict on one feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The method.
    pub method: Method,
    /// The value compared with the threshold: a distance, or a p-value for
    /// [`Method::is_p_value`] methods.
    pub value: f64,
    /// The test statistic for p-value methods (KS D, chi-square).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// The threshold the verdict used.
    pub threshold: f64,
    /// Distance at or above the threshold, or p-value below it.
    pub drifted: bool,
}
