//! The words of a report, the same in every format: cleaned backend
//! strings, markup escaping, the drift table's cells (in the core's drift
//! wording), the summary line and time labels.

use crate::ReportInput;
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::text::{number, score_value, threshold, verdict, window};
use modeldeck_core::drift::{FeatureDriftRow, FeatureKind};
use modeldeck_core::text::clean;

/// `s` cleaned (control and bidi characters replaced) and cut to `max`
/// characters with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    let c = clean(s);
    if c.chars().count() <= max {
        return c.into_owned();
    }
    let mut out: String = c.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `s` cleaned, then escaped for HTML/XML text and attribute values.
pub fn escape(s: &str) -> String {
    let c = clean(s);
    let mut out = String::with_capacity(c.len());
    for ch in c.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The drift table's columns.
pub const COLUMNS: [&str; 9] = [
    "feature",
    "kind",
    "method",
    "score",
    "threshold",
    "verdict",
    "missing (ref)",
    "out of range",
    "unseen",
];

/// One row of the drift table, as text (not yet cleaned: the feature name
/// and unseen categories are raw).
pub fn cells(row: &FeatureDriftRow, prediction: bool) -> [String; 9] {
    let s = row.score.as_ref();
    let q = &row.quality;
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{}%", number(v * 100.0)));
    let name = if prediction {
        format!("{} (prediction)", row.feature)
    } else {
        row.feature.clone()
    };
    [
        name,
        match row.kind {
            FeatureKind::Numeric => "numeric".into(),
            FeatureKind::Categorical => "categorical".into(),
        },
        s.map_or("-".into(), |s| s.method.label().to_string()),
        s.map_or("-".into(), score_value),
        s.map_or("-".into(), threshold),
        verdict(s).to_string(),
        format!(
            "{} ({})",
            pct(q.missing_rate),
            pct(q.reference_missing_rate)
        ),
        pct(q.out_of_range_rate),
        q.unseen_categories.join(", "),
    ]
}

/// Every table row, most drifted first (as the charts), the prediction
/// last; `true` marks the prediction.
pub fn rows(input: &ReportInput) -> Vec<(&FeatureDriftRow, bool)> {
    let prediction = input.drift.report.prediction.as_ref();
    crate::charted(input, usize::MAX)
        .into_iter()
        .map(|r| (r, prediction.is_some_and(|p| std::ptr::eq(p, r))))
        .collect()
}

/// The report's title (raw: clean and escape before drawing).
pub fn title(input: &ReportInput) -> String {
    format!(
        "Drift report: {} v{}",
        input.drift.model, input.drift.version
    )
}

/// `3 of 9 features drifted (33%; the dataset drifts at 50%): no dataset
/// drift. Window 24h ending 2026-...Z.`
pub fn summary(input: &ReportInput) -> String {
    let r = &input.drift.report;
    let scored = r
        .features
        .iter()
        .filter(|f| f.score.is_some_and(|s| !s.value.is_nan()))
        .count();
    let drifted = r.drifted().count();
    let verdict = if r.dataset_drift {
        "DATASET DRIFT"
    } else {
        "no dataset drift"
    };
    let share = r
        .drifted_share
        .map_or("no feature has data".to_string(), |s| {
            format!("{}%", number(s * 100.0))
        });
    format!(
        "{drifted} of {scored} scored features drifted ({share}; the dataset drifts at {}%): {verdict}. Window {} ending {}.",
        number(r.dataset_threshold * 100.0),
        window(r.window_ms),
        r.at.rfc3339(),
    )
}

/// `Generated 2026-...Z from <source> by modeldeck <version>.` (raw).
pub fn footer(input: &ReportInput) -> String {
    format!(
        "Generated {} from {} by modeldeck {}.",
        input.generated_at.rfc3339(),
        input.source,
        env!("CARGO_PKG_VERSION")
    )
}

/// `v` with at most one decimal (`10.5`, `9`), for SVG attributes.
pub fn number_1(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// A time axis label: `12-05 08:30` (UTC), or `12-05` on ranges of three
/// days and more.
pub fn time_label(ms: i64, span_ms: i64) -> String {
    let s = Timestamp(ms).rfc3339();
    // rfc3339(): `YYYY-MM-DDTHH:MM:SS...Z`.
    let date = s.get(5..10).unwrap_or("");
    let time = s.get(11..16).unwrap_or("");
    if span_ms >= 3 * 86_400_000 {
        date.to_string()
    } else {
        format!("{date} {time}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_cleaned_and_escaped() {
        let s = escape("<script>alert('x')</script>\u{202E}\u{1b}[2J&\"");
        assert_eq!(
            s,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\u{FFFD}\u{FFFD}[2J&amp;&quot;"
        );
        assert_eq!(clip("abcdef\u{202E}", 4), "abc…");
        assert_eq!(clip("ab\u{2066}", 4), "ab\u{FFFD}");
    }

    #[test]
    fn time_labels_follow_the_span() {
        let t = Timestamp::parse_rfc3339("2026-12-05T08:31:00Z").unwrap_or(Timestamp(0));
        assert_eq!(time_label(t.0, 86_400_000), "12-05 08:31");
        assert_eq!(time_label(t.0, 7 * 86_400_000), "12-05");
    }
}
