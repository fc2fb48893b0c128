//! Fairness data on a real Prometheus of this test's own
//! (scripts/services/prometheus.sh, backfilled with promtool from a small
//! OpenMetrics file written here): `Metrics::outcome_counts` reads
//! `modeldeck_outcome_total` per attribute, group and outcome, and the
//! rates, SPD and DIR core computes from them are the ones the counters
//! were written with (credit-scorer's demo rates); a hostile group name
//! comes back raw and a hostile model name does not inject;
//! `Metrics::fairness_gauges` reads TrustyAI's `trustyai_spd` /
//! `trustyai_dir` with their labels.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::fairness::{FairnessPolicy, Verdict, from_gauges};
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::{ClientConfig, PromClient, PrometheusMetrics, PromqlTemplates};
use std::process::Command;

/// A group name that would reorder the line (RLO) and clear the screen.
pub const HOSTILE_GROUP: &str = "65+\u{202E}evil\u{1b}[2J";
/// Seconds between counter samples.
const STEP: i64 = 600;
/// Counter samples per series (two days).
const SAMPLES: i64 = 289;
/// Approval rate per age band and rows per step.
const GROUPS: &[(&str, f64, f64)] = &[
    ("18-25", 0.41, 100.0),
    ("26-35", 0.62, 200.0),
    ("36-50", 0.68, 300.0),
    (HOSTILE_GROUP, 0.55, 50.0),
];

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The OpenMetrics file: outcome counters of `fair-credit` v3 every ten
/// minutes over two days ending at `end` (starting high, so `increase()`
/// never extrapolates below zero), and TrustyAI gauges every minute over
/// the last two hours.
fn openmetrics(end: i64) -> String {
    let mut out = String::from("# TYPE modeldeck_outcome counter\n");
    for (group, rate, per_step) in GROUPS {
        for (outcome, share) in [("approved", *rate), ("declined", 1.0 - rate)] {
            for k in 0..SAMPLES {
                let t = end - (SAMPLES - 1 - k) * STEP;
                out.push_str(&format!(
                    "modeldeck_outcome_total{{model=\"fair-credit\",version=\"3\",attribute=\"age_band\",group=\"{}\",outcome=\"{outcome}\"}} {} {t}\n",
                    escape(group),
                    1_000_000.0 + per_step * share * k as f64
                ));
            }
        }
    }
    // Another version's counters must not leak into v3's.
    for k in 0..SAMPLES {
        let t = end - (SAMPLES - 1 - k) * STEP;
        out.push_str(&format!(
            "modeldeck_outcome_total{{model=\"fair-credit\",version=\"2\",attribute=\"age_band\",group=\"18-25\",outcome=\"approved\"}} {} {t}\n",
            5.0 * k as f64
        ));
    }
    for (family, value) in [("trustyai_spd", -0.15), ("trustyai_dir", 0.7)] {
        out.push_str(&format!("# TYPE {family} gauge\n"));
        for k in 0..120 {
            let t = end - (119 - k) * 60;
            out.push_str(&format!(
                "{family}{{model=\"fair-credit\",metricName=\"{}\",protected=\"gender\",privileged=\"1\",unprivileged=\"0\",request=\"r-1\",favorable_value=\"1\",outcome=\"income\"}} {value} {t}\n",
                family.trim_start_matches("trustyai_").to_uppercase()
            ));
        }
    }
    out.push_str("# EOF\n");
    out
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/services/prometheus.sh")
}

/// Stops the test's Prometheus when dropped.
struct Prom(String);

impl Drop for Prom {
    fn drop(&mut self) {
        let _ = Command::new(script()).args(["stop", &self.0]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcome_counts_and_trustyai_gauges_from_a_real_prometheus() {
    // Anchored a minute ahead so "now" (the gauges' instant) has data.
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 60;
    let dir = std::env::temp_dir().join(format!("modeldeck-fairness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let om = dir.join("fairness.om");
    std::fs::write(&om, openmetrics(end)).unwrap();
    let name = format!("fairness-{}", std::process::id());
    let out = Command::new(script())
        .args(["start", &name])
        .arg(&om)
        .output()
        .unwrap();
    let _prom = Prom(name);
    assert!(
        out.status.success(),
        "prometheus.sh start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("export MODELDECK_TEST_PROM_URL="))
        .expect("prometheus URL")
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();
    let client = PromClient::new(ClientConfig::new(url)).unwrap();
    let m = PrometheusMetrics::new(client, PromqlTemplates::default()).unwrap();

    // A day ending at the last sample: 144 steps of each group's rows.
    let at = Timestamp(end * 1000);
    let s = m
        .outcome_counts("fair-credit", "3", 86_400_000, Some(at))
        .await
        .unwrap();
    assert_eq!((s.at, s.window_ms), (at, 86_400_000));
    assert_eq!(s.counts.len(), GROUPS.len() * 2, "{s:?}");
    let counts = s.group_counts(&FairnessPolicy::default());
    let groups = &counts["age_band"];
    for (group, rate, per_step) in GROUPS {
        let c = groups
            .get(*group)
            .unwrap_or_else(|| panic!("{group:?} in {groups:?}"));
        assert!(
            (c.positive / c.total - rate).abs() < 1e-9,
            "{group:?}: {c:?}"
        );
        // increase() over 24 h of samples 10 min apart: 144 steps, give
        // or take Prometheus' extrapolation to the window's edges.
        let expected = per_step * 144.0;
        assert!(
            (c.total / expected - 1.0).abs() < 0.01,
            "{group:?}: {} rows, expected about {expected}",
            c.total
        );
    }
    let a = &s.evaluate(&FairnessPolicy::default())[0];
    assert_eq!(a.reference.as_deref(), Some("36-50"));
    assert_eq!(a.worst_group.as_deref(), Some("18-25"));
    assert!((a.spd.unwrap() + 0.27).abs() < 1e-9, "{a:?}");
    assert!((a.dir.unwrap() - 0.41 / 0.68).abs() < 1e-9, "{a:?}");
    assert_eq!(a.verdict, Verdict::Unfair);
    // The hostile group is returned raw.
    assert!(a.groups.iter().any(|g| g.group == HOSTILE_GROUP), "{a:?}");

    // Version 2's series are not v3's; an unknown model or version is
    // empty, and a model name with quotes does not break the selector.
    let v2 = m
        .outcome_counts("fair-credit", "2", 86_400_000, Some(at))
        .await
        .unwrap();
    assert_eq!(v2.counts.len(), 1);
    for (model, version) in [("nope", "3"), ("fair-credit\"} or vector(1) #", "3")] {
        let e = m
            .outcome_counts(model, version, 86_400_000, Some(at))
            .await
            .unwrap();
        assert!(e.counts.is_empty(), "{model}: {e:?}");
    }
    let err = m
        .outcome_counts("fair-credit", "3", 0, Some(at))
        .await
        .unwrap_err();
    assert!(err.message.contains("window"), "{err}");

    // TrustyAI's gauges: latest values with their labels.
    let g = m.fairness_gauges("fair-credit").await.unwrap();
    assert_eq!(g.len(), 2, "{g:?}");
    let spd = g.iter().find(|x| x.metric == "spd").unwrap();
    assert_eq!(spd.attribute, "gender");
    assert_eq!(
        (spd.privileged.as_deref(), spd.unprivileged.as_deref()),
        (Some("1"), Some("0"))
    );
    assert_eq!(spd.request.as_deref(), Some("r-1"));
    assert_eq!(spd.value, -0.15);
    let rows = from_gauges(&g, &FairnessPolicy::default());
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].spd, rows[0].dir), (Some(-0.15), Some(0.7)));
    assert_eq!(rows[0].verdict, Verdict::Unfair);
    assert!(m.fairness_gauges("nope").await.unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
