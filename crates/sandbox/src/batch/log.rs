//! The log of a simulated batch scoring pod: start-up, the model it loads,
//! progress through the input partitions, then the summary, or, for a run
//! that fails, the error a scoring job typically dies of (the input's
//! schema no longer matching the model's signature).

use modeldeck_core::domain::Timestamp;

/// The last line of a failed run's log.
pub const FAILED_RUN_ERROR: &str = "ERROR scoring failed: input partition dt={day}/part-00007.parquet has no column \"tenure_months\" required by the model signature of churn-model; exiting with code 1";

const PARTS: i64 = 16;
const ROWS_PER_PART: i64 = 131_072;

/// The log lines (RFC 3339 time first, as `kubectl logs --timestamps`
/// writes them) of a scoring pod for `model` version `version` that
/// started at `start` and ran until `until` (its end, or now while it
/// runs); `failed` makes the run end with [`FAILED_RUN_ERROR`], and
/// `finished` with the summary.
pub fn scoring_log(
    model: &str,
    version: &str,
    start: Timestamp,
    until: Timestamp,
    finished: bool,
    failed: bool,
) -> Vec<String> {
    let at = |ms: i64| start.plus_millis(ms).rfc3339();
    let day = Timestamp(start.0 - 86_400_000).rfc3339();
    let day = &day[..10];
    let span = (until.0 - start.0).max(0);
    let mut out = vec![
        format!(
            "{} INFO batch-scorer 2.3.1 starting (job parallelism 1)",
            at(0)
        ),
        format!("{} INFO loading model models:/{model}/{version}", at(1_000)),
        format!(
            "{} INFO model {model} version {version} loaded (signature: 42 inputs, 1 output)",
            at(6_000)
        ),
        format!(
            "{} INFO reading input s3://modeldeck-features/{model}/dt={day}/ ({PARTS} partitions)",
            at(7_000)
        ),
    ];
    // A failed run dies at part-00007; a successful one reads all 16.
    let parts = if failed { 8 } else { PARTS };
    let step = (span - 10_000).max(0) / (parts + 1);
    for k in 0..parts {
        let t = 8_000 + step * (k + 1);
        if t > span {
            return out;
        }
        if failed && k == parts - 1 {
            break;
        }
        out.push(format!(
            "{} INFO scored part-{k:05}.parquet: {ROWS_PER_PART} rows ({} of {PARTS})",
            at(t),
            k + 1
        ));
    }
    if !finished {
        return out;
    }
    if failed {
        out.push(format!(
            "{} WARN schema drift: input columns 41, model signature 42",
            at(span - 1_000)
        ));
        out.push(format!(
            "{} {}",
            at(span),
            FAILED_RUN_ERROR
                .replace("{day}", day)
                .replace("churn-model", model)
        ));
    } else {
        out.push(format!(
            "{} INFO wrote {} scores to s3://modeldeck-scores/{model}/dt={day}/",
            at(span - 1_000),
            PARTS * ROWS_PER_PART
        ));
        out.push(format!(
            "{} INFO done: {} rows scored with {model} version {version}",
            at(span),
            PARTS * ROWS_PER_PART
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_run_ends_with_the_schema_error() {
        let start = Timestamp::parse_rfc3339("2026-12-05T02:00:04Z").unwrap();
        let end = start.plus_millis(40 * 60_000);
        let log = scoring_log("churn-model", "7", start, end, true, true);
        let last = log.last().unwrap();
        assert!(
            last.starts_with("2026-12-05T02:40:04Z ERROR scoring failed"),
            "{last}"
        );
        assert!(last.contains("dt=2026-12-04/part-00007.parquet"), "{last}");
        assert!(log.iter().any(|l| l.contains("models:/churn-model/7")));
        let ok = scoring_log("churn-model", "7", start, end, true, false);
        assert!(ok.last().unwrap().contains("done: 2097152 rows scored"));
        // While it runs, only the lines written so far.
        let part = scoring_log(
            "churn-model",
            "7",
            start,
            start.plus_millis(5 * 60_000),
            false,
            false,
        );
        assert!(part.len() < ok.len() && part.len() > 4, "{part:?}");
    }
}
