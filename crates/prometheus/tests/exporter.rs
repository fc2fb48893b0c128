//! `integrations/python/modeldeck_exporter.py` with the real
//! `prometheus_client` (in the MLflow venv, `scripts/services/mlflow.sh
//! install`), scraped every second by a real Prometheus this test starts,
//! read back by our adapter's `feature_sample` and scored by `evaluate`.
//!
//! The driver script (`integrations/python/tests/exporter_driver.py`) draws
//! the training data (the profile is built from it by the core's builder),
//! then observes batches into two versions: `same` (drawn like the
//! training data) and `shifted`. Every series the profile names exists at
//! 0 from the first scrape, so `increase()` over a window from that scrape
//! to the last one is exact: the counts must equal what the script counted.
//! A category the profile does not name (`xx`) only appears with its first
//! count, which `increase()` can only extrapolate: it is checked within
//! bounds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::build::{BuildOptions, Column, ProfileParts, assemble};
use modeldeck_core::drift::{FeatureKind, LiveCounts, LiveSample, ReferenceProfile, evaluate};
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::{
    ClientConfig, PromClient, PrometheusMetrics, PromqlTemplates, QueryData,
};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const MODEL: &str = "checkout-risk";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Kills a child process on drop (the test may panic half way).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The driver script, spoken to line by line.
struct Driver {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    log: PathBuf,
    _child: Guard,
}

impl Driver {
    /// The MLflow venv's Python, which has `prometheus_client`.
    fn python() -> PathBuf {
        let cache = std::env::var_os("MODELDECK_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join(".cache"));
        let python = cache.join("mlflow-venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run `scripts/services/mlflow.sh install` (it installs \
             prometheus_client next to MLflow)",
            python.display()
        );
        python
    }

    fn start(dir: &Path) -> Driver {
        let python = Driver::python();
        let log = dir.join("driver.stderr");
        let mut child = Command::new(python)
            .arg(repo().join("integrations/python/tests/exporter_driver.py"))
            .env("PYTHONPATH", repo().join("integrations/python"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Driver {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            log,
            _child: Guard(child),
        }
    }

    fn ask(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        let stderr = std::fs::read_to_string(&self.log).unwrap_or_default();
        let v: Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("driver answered {answer:?} to {line:?} ({e}): {stderr}"));
        assert!(v.get("error").is_none(), "{v}");
        v
    }
}

fn profile_from(train: &Value) -> ReferenceProfile {
    let opts = BuildOptions::default();
    let column = |name: &str, kind| {
        let mut c = Column::new(kind);
        for v in train[name].as_array().unwrap() {
            match v {
                Value::Null => c.push_number(None),
                Value::String(s) => c.push_category(Some(s)),
                v => c.push_number(v.as_f64()),
            }
        }
        c.finish(name, &opts).unwrap()
    };
    assemble(ProfileParts {
        rows: train["amount"].as_array().unwrap().len() as u64,
        source_digest: None,
        created_at: Timestamp(0),
        features: vec![
            column("amount", FeatureKind::Numeric),
            column("items", FeatureKind::Numeric),
            column("country", FeatureKind::Categorical),
        ],
        prediction: Some(column("score", FeatureKind::Numeric)),
        label: None,
    })
    .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Prometheus scraping `target` every second, with its own storage.
fn prometheus(dir: &Path, target: u16) -> (Guard, String) {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: exporter\n    \
             static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start prometheus ({e}): scripts/services/prometheus.sh install")
        });
    (Guard(child), format!("http://127.0.0.1:{port}"))
}

/// The newest scrape of `series`: (its timestamp, its value), once `ok`
/// holds for the value (at most 30 s).
async fn scraped(client: &PromClient, series: &str, ok: impl Fn(f64) -> bool) -> (i64, f64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let q = format!("timestamp({series})");
    loop {
        // The value first: once it holds it stays (no batch is under way),
        // so the timestamp read after it is of a scrape with that value.
        if let (Ok(v), Ok(t)) = (
            client.query(series, None).await,
            client.query(&q, None).await,
        ) && let (QueryData::Vector(t), QueryData::Vector(v)) = (t.data, v.data)
            && let (Some(t), Some(v)) = (
                t.first().and_then(|s| s.sample),
                v.first().and_then(|s| s.sample),
            )
            && ok(v.value)
        {
            return ((t.value * 1000.0).round() as i64, v.value);
        }
        assert!(
            Instant::now() < deadline,
            "no scrape of {series} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn counts_list(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_f64().unwrap())
        .collect()
}

fn series(version: &str, feature: &str) -> String {
    format!(
        "modeldeck_feature_value_count{{model=\"{MODEL}\",version=\"{version}\",feature=\"{feature}\"}}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_exporter_scraped_by_prometheus_gives_the_counts_it_observed() {
    let dir = std::env::temp_dir().join(format!("modeldeck-exporter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _scratch = Scratch(dir.clone());

    let mut driver = Driver::start(&dir);
    let profile = profile_from(&driver.ask("train 20000"));
    let path = dir.join("profile.json");
    std::fs::write(&path, serde_json::to_vec(&profile).unwrap()).unwrap();
    let port = driver.ask(&format!("load {} {MODEL} same shifted", path.display()))["port"]
        .as_u64()
        .unwrap();
    let (_prom, url) = prometheus(&dir, port as u16);
    let client = PromClient::new(ClientConfig::new(url)).unwrap();

    // The first scrape: every profiled series at 0.
    let (t0, _) = scraped(&client, &series("same", "amount"), |v| v == 0.0).await;
    let same = driver.ask("batch same 4000 0");
    let a = driver.ask("batch shifted 2000 1");
    let present = |b: &Value| counts_list(&b["amount"]["counts"]).iter().sum::<f64>();
    let pa = present(&a);
    scraped(&client, &series("shifted", "amount"), |v| v == pa).await;
    let b = driver.ask("batch shifted 2000 1");
    let total = pa + present(&b);
    let (t_end, _) = scraped(&client, &series("shifted", "amount"), |v| v == total).await;
    let (_, same_seen) = scraped(&client, &series("same", "amount"), |_| true).await;
    assert_eq!(same_seen, present(&same));

    let port = PrometheusMetrics::new(client, PromqlTemplates::default()).unwrap();
    let window = t_end - t0 + 500;
    let sample = |version: &'static str| {
        let port = &port;
        let profile = &profile;
        async move {
            port.feature_sample(MODEL, version, profile, window, Some(Timestamp(t_end)))
                .await
                .unwrap()
        }
    };
    let (live_same, live_shifted) = (sample("same").await, sample("shifted").await);

    // `same`: every count exactly as the script counted.
    check_exact(&live_same, &same, None);
    // `shifted`: the two batches together; `xx` within what increase() can see.
    let both = sum(&a, &b);
    check_exact(&live_shifted, &both, Some("xx"));
    let LiveCounts::Categorical(c) = &live_shifted.feature("country").unwrap().counts else {
        panic!("country is categorical")
    };
    let (xa, xb) = (
        a["country"]["counts"]["xx"].as_f64().unwrap(),
        b["country"]["counts"]["xx"].as_f64().unwrap(),
    );
    let xx = c.get("xx").copied().unwrap_or(0.0);
    assert!(
        xx >= xb - 1e-9 && xx <= xa + xb + 1e-9,
        "xx {xx} vs {xa} + {xb}"
    );

    // The verdicts: the same distribution does not drift, the shifted one does.
    let r = evaluate(&profile, &live_same);
    assert!(!r.dataset_drift, "{:?}", r.features);
    for row in &r.features {
        assert!(
            !row.score.unwrap().drifted,
            "{}: {:?}",
            row.feature,
            row.score
        );
    }
    assert!(!r.prediction.as_ref().unwrap().score.unwrap().drifted);
    let r = evaluate(&profile, &live_shifted);
    assert!(r.dataset_drift);
    for row in &r.features {
        assert!(
            row.score.unwrap().drifted,
            "{}: {:?}",
            row.feature,
            row.score
        );
    }
    assert!(r.prediction.as_ref().unwrap().score.unwrap().drifted);
    let country = r.features.iter().find(|f| f.feature == "country").unwrap();
    assert_eq!(country.quality.unseen_categories, ["xx"]);
    let amount = r.features.iter().find(|f| f.feature == "amount").unwrap();
    let missing = amount.quality.missing_rate.unwrap();
    assert!((0.07..0.13).contains(&missing), "missing rate {missing}");
    driver.ask("counts same");
}

/// The two batches' counts added.
fn sum(a: &Value, b: &Value) -> Value {
    let mut out = a.clone();
    for (name, entry) in out.as_object_mut().unwrap() {
        let other = &b[name.as_str()];
        match &mut entry["counts"] {
            Value::Array(v) => {
                for (x, y) in v.iter_mut().zip(other["counts"].as_array().unwrap()) {
                    *x = (x.as_f64().unwrap() + y.as_f64().unwrap()).into();
                }
            }
            Value::Object(m) => {
                for (k, y) in other["counts"].as_object().unwrap() {
                    let x = m.get(k).and_then(Value::as_f64).unwrap_or(0.0);
                    m.insert(k.clone(), (x + y.as_f64().unwrap()).into());
                }
            }
            _ => panic!("counts of {name}"),
        }
        if let Some(m) = entry.get("missing").and_then(Value::as_f64) {
            entry["missing"] = (m + other["missing"].as_f64().unwrap()).into();
        }
    }
    out
}

/// Every feature's live counts (bins, categories but `except`, missing)
/// and the prediction's equal the script's.
fn check_exact(live: &LiveSample, counted: &Value, except: Option<&str>) {
    for (name, entry) in counted.as_object().unwrap() {
        let name = if name == "__prediction__" {
            entry["name"].as_str().unwrap()
        } else {
            name.as_str()
        };
        let f = live
            .feature(name)
            .unwrap_or_else(|| panic!("no live data for {name}: {live:?}"));
        match (&f.counts, &entry["counts"]) {
            (LiveCounts::Numeric(got), want) => assert_eq!(got, &counts_list(want), "{name}"),
            (LiveCounts::Categorical(got), Value::Object(want)) => {
                for (k, w) in want {
                    if Some(k.as_str()) == except {
                        continue;
                    }
                    let g = got.get(k).copied().unwrap_or(0.0);
                    assert_eq!(g, w.as_f64().unwrap(), "{name} {k}");
                }
            }
            (got, want) => panic!("{name}: {got:?} vs {want}"),
        }
        if let Some(m) = entry.get("missing") {
            assert_eq!(f.missing, m.as_f64().unwrap(), "{name} missing");
        }
    }
}

/// The module's own unit tests (`integrations/python/tests/test_exporter.py`),
/// with the real `prometheus_client`.
#[test]
fn the_python_unit_tests_pass() {
    let dir = std::env::temp_dir().join(format!("modeldeck-exporter-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _scratch = Scratch(dir.clone());
    let python = Driver::python();
    let out = Command::new(python)
        .args([
            "-m",
            "unittest",
            "discover",
            "-v",
            "-s",
            "tests",
            "-p",
            "test_*.py",
        ])
        .current_dir(repo().join("integrations/python"))
        .env("PYTHONPATH", repo().join("integrations/python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Ran 6 tests") && stderr.contains("OK"),
        "{stderr}"
    );
}
