//! Unit tests of de-cumulation, edge matching and result grouping.

use super::*;

#[test]
fn decumulates_at_the_edges() {
    let edges = [10.0, 50.0, 100.0];
    let cum = [
        (50.0, 30.0),
        (10.0, 5.0),
        (f64::INFINITY, 41.0),
        (100.0, 40.0),
    ];
    assert_eq!(
        decumulate("amount", &edges, &cum).unwrap(),
        Some(vec![5.0, 25.0, 10.0, 1.0])
    );
    // the same bound spelled twice ("1" and "1.0") is one bucket
    let cum = [
        (10.0, 2.0),
        (10.0, 3.0),
        (50.0, 5.0),
        (100.0, 5.0),
        (f64::INFINITY, 7.0),
    ];
    assert_eq!(
        decumulate("amount", &edges, &cum).unwrap(),
        Some(vec![5.0, 0.0, 0.0, 2.0])
    );
    // formatted floats match within the tolerance
    let edges = [1.0 / 3.0, 2.0 / 3.0];
    let cum = [(0.333333333, 1.0), (0.666666667, 2.0), (f64::INFINITY, 2.0)];
    assert_eq!(
        decumulate("x", &edges, &cum).unwrap(),
        Some(vec![1.0, 1.0, 0.0])
    );
    // float noise never makes a negative bin
    let cum = [
        (0.333333333, 1.0),
        (0.666666667, 0.9999999),
        (f64::INFINITY, 2.0),
    ];
    assert_eq!(decumulate("x", &edges, &cum).unwrap().unwrap()[1], 0.0);
}

#[test]
fn absent_and_nan_are_no_data() {
    assert_eq!(decumulate("x", &[1.0], &[]).unwrap(), None);
    let cum = [(1.0, f64::NAN), (f64::INFINITY, 3.0)];
    assert_eq!(decumulate("x", &[1.0], &cum).unwrap(), None);
}

#[test]
fn other_buckets_are_an_error_naming_the_feature() {
    let edges = [10.0, 50.0, 100.0, 500.0];
    let cum = [
        (10.0, 1.0),
        (50.0, 2.0),
        (100.0, 3.0),
        (250.0, 4.0),
        (f64::INFINITY, 5.0),
    ];
    let e = decumulate("amount", &edges, &cum).unwrap_err();
    assert!(
        e.contains("\"amount\"") && e.contains("le 250 vs edge 500"),
        "{e}"
    );
    assert!(e.contains("live le = [10, 50, 100, 250, +Inf]"), "{e}");
    let e = decumulate("amount", &edges[..3], &cum).unwrap_err();
    assert!(e.contains("5 buckets, expected 4"), "{e}");
    let cum = [
        (10.0, 1.0),
        (50.0, 2.0),
        (100.0, 3.0),
        (500.0, 4.0),
        (900.0, 5.0),
    ];
    let e = decumulate("amount", &edges, &cum).unwrap_err();
    assert!(e.contains("le 900") || e.contains("+Inf"), "{e}");
    // a close but different edge is not within the tolerance
    let cum = [(10.001, 1.0), (f64::INFINITY, 2.0)];
    assert!(decumulate("a", &[10.0], &cum).is_err());
}

#[test]
fn windows_are_exact_durations() {
    assert_eq!(window_param(3_600_000).unwrap(), "3600s");
    assert_eq!(window_param(1_500).unwrap(), "1500ms");
    let e = window_param(0).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
}

#[test]
fn series_without_the_feature_label_need_a_single_feature() {
    let labels = ResultLabels {
        feature: "feature".into(),
        category: "category".into(),
    };
    let l: Labels = [("le".to_string(), "1".to_string())].into();
    let points = vec![(l, vec![(Timestamp(1000), 2.0)])];
    let g = group(&points, &labels, Family::FeatureBins, &["a"]).unwrap();
    assert_eq!(g["a"][&1000].len(), 1);
    let e = group(&points, &labels, Family::FeatureBins, &["a", "b"]).unwrap_err();
    assert!(
        e.message.contains("feature_bins") && e.message.contains("\"feature\""),
        "{e}"
    );
    // series of features not asked about are ignored
    let l: Labels = [("feature".to_string(), "zzz".to_string())].into();
    let g = group(
        &[(l, vec![(Timestamp(0), 1.0)])],
        &labels,
        Family::FeatureMissing,
        &["a", "b"],
    )
    .unwrap();
    assert!(g.is_empty());
}
