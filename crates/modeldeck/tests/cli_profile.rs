//! `modeldeck profile build` end to end: the real binary on CSV files and
//! on Parquet files written by pandas/pyarrow (the MLflow venv's Python,
//! `scripts/services/mlflow.sh install`), and bad input: missing file,
//! missing column, empty file, ragged rows, hostile column names. Logging
//! (`--log-to`) is in `cli_profile_log.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Run, TempDir, run_in};
use modeldeck_core::drift::{Distribution, ReferenceProfile};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A bidi override and a terminal escape in a column name.
const HOSTILE: &str = "amount\u{202E}lacol\u{1b}[2J";

/// 1,000 rows: `x` = 0..999, `k` a category (de 60 %, fr 30 %, es 9.5 %,
/// lu 0.5 %), `m` with every 10th value missing, `mixed` numbers but one
/// word, `p` the prediction, `y` the label.
fn training_csv() -> String {
    let mut s = String::from("x,k,m,mixed,p,y\n");
    for i in 0..1000 {
        let k = match i % 200 {
            0..=119 => "de",
            120..=179 => "fr",
            180..=198 => "es",
            _ => "lu",
        };
        let m = if i % 10 == 0 {
            "NA".to_string()
        } else {
            format!("{}", (i % 7) as f64 * 1.5)
        };
        let mixed = if i == 500 {
            "oops".into()
        } else {
            i.to_string()
        };
        let p = (i as f64 / 1000.0).to_string();
        let y = if i % 3 == 0 { "yes" } else { "no" };
        writeln!(s, "{i},{k},{m},{mixed},{p},{y}").unwrap();
    }
    s
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.0.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn read_profile(path: &Path) -> ReferenceProfile {
    let p: ReferenceProfile = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    p.validate().unwrap();
    p
}

fn build(dir: &TempDir, args: &[&str]) -> Run {
    let mut all = vec!["profile", "build"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

#[test]
fn a_csv_becomes_a_profile_with_frozen_edges_folded_categories_and_roles() {
    let dir = TempDir::new("prof-csv");
    let csv = write(&dir, "train.csv", &training_csv());
    let out = dir.0.join("profile.json");
    let r = build(
        &dir,
        &[
            "--from",
            csv.to_str().unwrap(),
            "--prediction",
            "p",
            "--label",
            "y",
            "--out",
            out.to_str().unwrap(),
            "-o",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let p = read_profile(&out);

    assert_eq!(p.rows, 1000);
    let digest =
        modeldeck_core::drift::build::digest_reader(std::fs::File::open(&csv).unwrap()).unwrap();
    assert_eq!(p.source_digest.as_deref(), Some(digest.as_str()));
    assert_eq!(doc["source_digest"], digest.as_str());
    let names: Vec<&str> = p.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["x", "k", "m", "mixed"]);

    // x = 0..999: the 0.05 % / 10 % .. 90 % / 99.95 % quantiles (numpy's).
    let Distribution::Numeric { edges, counts } = &p.features[0].dist else {
        panic!("x is numeric")
    };
    assert_eq!(edges.len(), 11);
    // Under 2,000 rows the outer bins hold nothing: the first edge is below
    // the minimum, the last is the maximum.
    assert_eq!((edges[0], edges[5], edges[10]), (-49.95, 499.5, 999.0));
    assert_eq!(counts, &[&[0][..], &[100; 10], &[0]].concat());
    let stats = p.features[0].stats.as_ref().unwrap();
    assert_eq!((stats.min, stats.max, stats.mean), (0.0, 999.0, 499.5));

    // lu (0.5 %) folds into __other__.
    let Distribution::Categorical { counts } = &p.features[1].dist else {
        panic!("k is categorical")
    };
    let got: Vec<(&str, u64)> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        got,
        [("__other__", 5), ("de", 600), ("es", 95), ("fr", 300)]
    );

    // NA is missing, as pandas reads it.
    assert_eq!(p.features[2].missing, 100);
    assert_eq!(p.features[2].present(), 900);

    // One word among numbers: categorical, and the summary says where.
    assert_eq!(
        p.features[3].kind(),
        modeldeck_core::drift::FeatureKind::Categorical
    );
    let notes = doc["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| {
            let n = n.as_str().unwrap();
            n.contains("\"mixed\"") && n.contains("line 502") && n.contains("\"oops\"")
        }),
        "{notes:?}"
    );

    let pred = p.prediction.as_ref().unwrap();
    assert_eq!(
        (pred.name.as_str(), pred.kind()),
        ("p", modeldeck_core::drift::FeatureKind::Numeric)
    );
    let label = p.label.as_ref().unwrap();
    let Distribution::Categorical { counts } = &label.dist else {
        panic!("y is categorical")
    };
    assert_eq!((counts["yes"], counts["no"]), (334, 666));
    let roles: Vec<&str> = doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "feature",
            "feature",
            "feature",
            "feature",
            "prediction",
            "label"
        ]
    );

    // --features, --categorical and --bins.
    let r = build(
        &dir,
        &[
            "--from",
            csv.to_str().unwrap(),
            "--features",
            "x,m",
            "--categorical",
            "m",
            "--bins",
            "4",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p = read_profile(&out);
    assert_eq!(p.features.len(), 2);
    let Distribution::Numeric { edges, .. } = &p.features[0].dist else {
        panic!()
    };
    assert_eq!(edges, &[-124.875, 249.75, 499.5, 749.25, 999.0]);
    let Distribution::Categorical { counts } = &p.features[1].dist else {
        panic!()
    };
    assert!(
        counts.contains_key("1.5") && counts.contains_key("0"),
        "{counts:?}"
    );
    assert!(p.prediction.is_none() && p.label.is_none());
    assert!(r.stdout.contains("wrote "), "{}", r.stdout);
}

/// The MLflow venv's Python (pandas and pyarrow come with MLflow).
fn python() -> PathBuf {
    let cache = std::env::var_os("MODELDECK_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache"));
    let py = cache.join("mlflow-venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run `scripts/services/mlflow.sh install` (pandas and pyarrow come with \
         MLflow)",
        py.display()
    );
    py
}

/// Writes `csv` as Parquet with pandas (`compression` as pandas names it).
fn to_parquet(csv: &Path, parquet: &Path, compression: &str) {
    let script = "import sys, pandas as pd\n\
                  df = pd.read_csv(sys.argv[1])\n\
                  df.to_parquet(sys.argv[2], compression=None if sys.argv[3] == 'none' else sys.argv[3])\n";
    let out = Command::new(python())
        .args(["-c", script])
        .arg(csv)
        .arg(parquet)
        .arg(compression)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pandas could not write Parquet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_parquet_file_from_pandas_profiles_like_its_csv() {
    let dir = TempDir::new("prof-parquet");
    let csv = write(&dir, "train.csv", &training_csv());
    let (from_csv, from_pq) = (dir.0.join("csv.json"), dir.0.join("pq.json"));
    for (compression, name) in [("snappy", "train.parquet"), ("none", "plain.pq")] {
        let pq = dir.0.join(name);
        to_parquet(&csv, &pq, compression);
        for (src, out) in [(&csv, &from_csv), (&pq, &from_pq)] {
            let r = build(
                &dir,
                &[
                    "--from",
                    src.to_str().unwrap(),
                    "--features",
                    "x,k,m",
                    "--prediction",
                    "p",
                    "--out",
                    out.to_str().unwrap(),
                ],
            );
            assert_eq!(r.code, 0, "{}: {}", src.display(), r.stderr);
        }
        let (a, b) = (read_profile(&from_csv), read_profile(&from_pq));
        assert_eq!(a.features, b.features, "{compression}");
        assert_eq!(a.prediction, b.prediction);
        assert_eq!(a.rows, b.rows);
        assert_ne!(a.source_digest, b.source_digest);
    }

    // pandas' booleans and strings are categories; a zstd file is refused
    // with what to do about it.
    let pq = dir.0.join("all.parquet");
    to_parquet(&csv, &pq, "snappy");
    let r = build(
        &dir,
        &[
            "--from",
            pq.to_str().unwrap(),
            "--out",
            from_pq.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p = read_profile(&from_pq);
    assert_eq!(p.features.len(), 6);
    assert_eq!(
        p.feature("y").unwrap().kind(),
        modeldeck_core::drift::FeatureKind::Categorical
    );
    let z = dir.0.join("z.parquet");
    to_parquet(&csv, &z, "zstd");
    let r = build(
        &dir,
        &[
            "--from",
            z.to_str().unwrap(),
            "--out",
            from_pq.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("z.parquet") && r.stderr.contains("snappy"),
        "{}",
        r.stderr
    );
    let r = build(
        &dir,
        &[
            "--from",
            pq.to_str().unwrap(),
            "--features",
            "x,nope",
            "--out",
            "x.json",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("column \"nope\" is not in"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_is_named_with_where_it_is() {
    let dir = TempDir::new("prof-bad");
    let out = dir.0.join("p.json");
    let out = out.to_str().unwrap();
    let err = |args: &[&str], code: i32, needles: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--out", out]);
        let r = build(&dir, &all);
        assert_eq!(r.code, code, "{args:?}: {} {}", r.stdout, r.stderr);
        for n in needles {
            assert!(r.stderr.contains(n), "{args:?}: {n:?} not in {}", r.stderr);
        }
        assert!(!Path::new(out).exists(), "{args:?} wrote a profile");
    };
    let missing = dir.0.join("nope.csv");
    err(
        &["--from", missing.to_str().unwrap()],
        1,
        &["cannot read", "nope.csv"],
    );
    let empty = write(&dir, "empty.csv", "");
    err(
        &["--from", empty.to_str().unwrap()],
        1,
        &["empty.csv", "is empty"],
    );
    let header = write(&dir, "header.csv", "a,b\n");
    err(&["--from", header.to_str().unwrap()], 1, &["no data rows"]);
    let ragged = write(&dir, "ragged.csv", "a,b\n1,2\n3\n");
    err(
        &["--from", ragged.to_str().unwrap()],
        1,
        &["ragged.csv", "line: 3"],
    );
    let ok = write(&dir, "ok.csv", "a,b\n1,x\n2,y\n");
    let f = ok.to_str().unwrap();
    err(
        &["--from", f, "--features", "a,zz"],
        1,
        &["column \"zz\" is not in", "\"a\", \"b\""],
    );
    err(
        &["--from", f, "--features", "a", "--prediction", "a"],
        1,
        &["named twice"],
    );
    err(
        &["--from", f, "--features", "a", "--categorical", "b"],
        1,
        &["add it to --features"],
    );
    err(&["--from", f, "--bins", "0"], 2, &["--bins", "1 to 200"]);
    err(
        &["--from", f, "--log-to", "no-version"],
        2,
        &["<model>/<version>"],
    );
    let allmissing = write(&dir, "na.csv", "a,b\nNA,1\n,2\n");
    err(
        &["--from", allmissing.to_str().unwrap()],
        1,
        &["\"a\"", "every value is missing"],
    );
    let r = run_in(&dir, &["profile", "build", "--from", f]);
    assert_eq!(r.code, 2, "--out or --log-to is required: {}", r.stderr);

    // Hostile column names: raw in the profile, escaped in every message,
    // neutralized in the table.
    let hostile = write(
        &dir,
        "hostile.csv",
        &format!("{HOSTILE},k\n1,a\n2,b\n3,a\n"),
    );
    let h = hostile.to_str().unwrap();
    let r = build(&dir, &["--from", h, "--out", out]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(read_profile(Path::new(out)).features[0].name, HOSTILE);
    assert!(
        !r.stdout.contains('\u{202E}') && !r.stdout.contains('\u{1b}'),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("amount\u{FFFD}lacol\u{FFFD}[2J"),
        "{}",
        r.stdout
    );
    std::fs::remove_file(out).unwrap();
    let r = build(
        &dir,
        &[
            "--from",
            h,
            "--features",
            &format!("{HOSTILE}x"),
            "--out",
            out,
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        !r.stderr.contains('\u{202E}') && !r.stderr.contains('\u{1b}'),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("\\u{202e}"), "{}", r.stderr);
}

#[test]
fn edges_and_statistics_agree_with_numpy() {
    // 20,000 values of a skewed distribution from a fixed generator (from
    // 2,000 rows on, the tail quantiles are the outer edges as they are).
    let dir = TempDir::new("prof-numpy");
    let mut s = String::from("v\n");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        writeln!(s, "{}", -(1.0 - u).ln() * 3.0).unwrap();
    }
    let csv = write(&dir, "v.csv", &s);
    let out = dir.0.join("p.json");
    let r = build(
        &dir,
        &[
            "--from",
            csv.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let script = "import sys, json, numpy as np, pandas as pd\n\
                  v = pd.read_csv(sys.argv[1])['v'].to_numpy()\n\
                  levels = [0.0005] + [k / 10 for k in range(1, 10)] + [0.9995]\n\
                  edges = [float('%.5e' % q) for q in np.quantile(v, levels)]\n\
                  counts = np.bincount(np.searchsorted(edges, v, side='left'), minlength=len(edges) + 1)\n\
                  print(json.dumps({'edges': edges, 'counts': counts.tolist(), 'mean': v.mean(),\n\
                                    'std': v.std(), 'q': np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist()}))\n";
    let o = Command::new(python())
        .args(["-c", script])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want: Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = read_profile(&out);
    let Distribution::Numeric { edges, counts } = &p.features[0].dist else {
        panic!("v is numeric")
    };
    let we: Vec<f64> = want["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(edges, &we);
    let wc: Vec<u64> = want["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(counts, &wc);
    let st = p.features[0].stats.as_ref().unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    assert!(
        close(st.mean, want["mean"].as_f64().unwrap()),
        "{} vs {}",
        st.mean,
        want["mean"]
    );
    assert!(
        close(st.std, want["std"].as_f64().unwrap()),
        "{} vs {}",
        st.std,
        want["std"]
    );
    for (k, q) in ["0.05", "0.25", "0.5", "0.75", "0.95"]
        .iter()
        .zip(want["q"].as_array().unwrap())
    {
        assert!(close(st.quantiles[*k], q.as_f64().unwrap()), "quantile {k}");
    }
}
