//! `sandbox serve`'s `/metrics` scraped by a real Prometheus (the
//! `prometheus` binary on PATH; scripts/test.sh installs it): the world is
//! simulated (the demo on the wall clock, served by the same
//! `MetricsEndpoint` as `sandbox serve`), everything after the scrape is
//! real. Prometheus starts on two hours of the world's history backfilled
//! with promtool (`Exporter::history`, as `sandbox serve --backfill`), then
//! scrapes every second for about 20 s: the Prometheus adapter's
//! `feature_sample` of demand-forecaster's champion gives the shares the
//! world's own in-process `feature_sample` gives, over the last minute (live
//! scrapes) and the last hour (backfill then scrapes), and `fleet_health`
//! with the default 5 m window sees every online workload's request rate
//! near the world's; `outcome_counts` gives credit-scorer's approval rate
//! per age band as the world does. promtool (a real parser) accepts the body of a world with
//! hostile feature names, and Prometheus reads those names back intact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_apiserver::serve::MetricsEndpoint;
use modeldeck_core::domain::{LagTrend, MetricsTarget, Signal};
use modeldeck_core::drift::{LiveCounts, LiveSample, ReferenceProfile};
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::{
    ClientConfig, PromClient, PrometheusMetrics, PromqlTemplates, QueryData,
};
use modeldeck_sandbox::{ClockMode, DEMO_SEED, Sandbox};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A feature name with a quote, a backslash and a newline.
const HOSTILE: &str = "new\nline \"quoted\" back\\slash";

fn hostile_world() -> Sandbox {
    let name = toml_string(HOSTILE);
    let scenario = format!(
        r#"
seed = 7
[[clusters]]
name = "c1"
namespaces = ["ns"]
[[models]]
name = "hostile-model"
task = "classifier"
team = "t"
versions = 2
champion = 2
features = ["plain", {name}]
[[workloads]]
cluster = "c1"
namespace = "ns"
kind = "deployment"
name = "w"
model = "hostile-model"
version = "champion"
rps = 50
"#
    );
    Sandbox::from_scenario(&scenario, ClockMode::Wall).unwrap()
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn tool(name: &str) -> String {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()));
    assert!(
        found,
        "{name} is not on PATH: these tests need a real Prometheus. Run scripts/test.sh, \
         or scripts/services/prometheus.sh install"
    );
    name.to_string()
}

/// A Prometheus process scraping `targets` every second; killed on drop.
struct Prom {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl Drop for Prom {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts Prometheus, its storage first backfilled with `history`
/// (OpenMetrics) through promtool.
fn start_prometheus(targets: &[(&str, String)], history: &str) -> Prom {
    let bin = tool("prometheus");
    let dir = std::env::temp_dir().join(format!(
        "modeldeck-scrape-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("history.om"), history).unwrap();
    let out = Command::new(tool("promtool"))
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(dir.join("history.om"))
        .arg(dir.join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool backfill: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cfg =
        String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
    for (job, addr) in targets {
        // As scripts/stack.sh: the backfill has no job/instance labels.
        cfg.push_str(&format!(
            "  - job_name: {job}\n    static_configs:\n      - targets: ['{addr}']\n    \
             metric_relabel_configs:\n      - action: labeldrop\n        regex: job|instance\n"
        ));
    }
    std::fs::write(dir.join("prometheus.yml"), cfg).unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let child = Command::new(bin)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Prom {
        child,
        dir,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn vector(c: &PromClient, q: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    match c.query(q, None).await {
        Ok(r) => match r.data {
            QueryData::Vector(v) => v
                .into_iter()
                .filter_map(|s| Some((s.labels, s.sample?.value)))
                .collect(),
            other => panic!("{q}: {other:?}"),
        },
        Err(_) => Vec::new(),
    }
}

/// Waits until every job has been scraped successfully for `secs`
/// seconds (1 s scrapes), at most 60 s.
async fn scraped_for(c: &PromClient, prom: &mut Prom, jobs: usize, secs: f64) {
    let t0 = Instant::now();
    loop {
        if let Some(status) = prom.child.try_wait().unwrap() {
            let log = std::fs::read_to_string(prom.dir.join("server.log")).unwrap_or_default();
            panic!("prometheus exited ({status}): {log}");
        }
        let q = format!("count_over_time(up[{}s]) * up", secs as i64 + 5);
        let up = vector(c, &q).await;
        if up.len() == jobs && up.iter().all(|(_, v)| *v >= secs) {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "scrapes: {up:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn shares(s: &LiveSample, name: &str) -> Vec<(String, f64)> {
    let f = s
        .feature(name)
        .unwrap_or_else(|| panic!("{name} absent: {s:?}"));
    let pairs: Vec<(String, f64)> = match &f.counts {
        LiveCounts::Numeric(c) => c
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), *v))
            .collect(),
        LiveCounts::Categorical(c) => c.iter().map(|(k, v)| (k.clone(), *v)).collect(),
    };
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    assert!(total > 0.0, "{name}: no rows");
    pairs.into_iter().map(|(k, v)| (k, v / total)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scraping_the_sandbox_sees_the_worlds_numbers() {
    let sb = Sandbox::demo_with(DEMO_SEED, ClockMode::Wall).unwrap();
    let hostile = hostile_world();
    let any = "127.0.0.1:0".parse().unwrap();
    let exporter = sb.exporter();
    let history = exporter
        .history(Duration::from_secs(7200), Duration::from_secs(300))
        .unwrap();
    let demo_ep = MetricsEndpoint::start(any, Arc::new(exporter))
        .await
        .unwrap();
    let hostile_ep = MetricsEndpoint::start(any, Arc::new(hostile.exporter()))
        .await
        .unwrap();
    let mut prom = start_prometheus(
        &[
            ("sandbox", demo_ep.addr().to_string()),
            ("hostile", hostile_ep.addr().to_string()),
        ],
        &history,
    );
    let client = PromClient::new(ClientConfig::new(prom.url.clone())).unwrap();
    scraped_for(&client, &mut prom, 2, 20.0).await;

    // Drift: demand-forecaster's champion, from Prometheus and from the
    // world itself.
    let model = "demand-forecaster";
    let reg = sb.backends().registry;
    let version = reg.get_model(model).await.unwrap().aliases["champion"].clone();
    let profile: ReferenceProfile = reg
        .reference_profile(model, &version)
        .await
        .unwrap()
        .unwrap();
    let overrides: BTreeMap<String, String> =
        [("cluster_label".to_string(), "cluster".to_string())].into();
    let prom_metrics = PrometheusMetrics::new(
        PromClient::new(ClientConfig::new(prom.url.clone())).unwrap(),
        PromqlTemplates::from_overrides(&overrides).unwrap(),
    )
    .unwrap();
    // A minute: the last live scrapes (the world's own sample of a minute
    // of two workloads is noisy); an hour: the backfill, then the scrapes.
    for (window, tolerance) in [(60_000, 0.03), (3_600_000, 0.01)] {
        let real = prom_metrics
            .feature_sample(model, &version, &profile, window, None)
            .await
            .unwrap();
        let own = sb
            .backends()
            .metrics
            .feature_sample(model, &version, &profile, window, None)
            .await
            .unwrap();
        assert_eq!(real.features.len(), profile.features.len() + 1, "{real:?}");
        for f in profile.features.iter().chain(profile.prediction.iter()) {
            let (a, b) = (shares(&real, &f.name), shares(&own, &f.name));
            for ((ka, x), (kb, y)) in a.iter().zip(&b) {
                assert_eq!(ka, kb);
                assert!(
                    (x - y).abs() < tolerance,
                    "{window} ms {}: {a:?} vs {b:?}",
                    f.name
                );
            }
        }
    }

    // Fairness: credit-scorer's approval rate per age band over the hour.
    let cs = "credit-scorer";
    let csv = reg.get_model(cs).await.unwrap().aliases["champion"].clone();
    let real = prom_metrics
        .outcome_counts(cs, &csv, 3_600_000, None)
        .await
        .unwrap();
    let own = sb
        .backends()
        .metrics
        .outcome_counts(cs, &csv, 3_600_000, None)
        .await
        .unwrap();
    let rates = |counts: &[modeldeck_core::drift::fairness::OutcomeCount]| {
        let mut by: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for c in counts {
            let e = by.entry(c.group.clone()).or_default();
            e.1 += c.count;
            if !c.outcome.starts_with("not_") {
                e.0 += c.count;
            }
        }
        by.into_iter()
            .map(|(g, (pos, all))| (g, pos / all))
            .collect::<Vec<_>>()
    };
    let (r, o) = (rates(&real.counts), rates(&own.counts));
    assert_eq!(r.len(), o.len(), "{r:?} vs {o:?}");
    assert!(r.len() >= 2);
    for ((g1, x), (g2, y)) in r.iter().zip(&o) {
        assert_eq!(g1, g2);
        assert!((x - y).abs() < 0.01, "{g1}: {x} vs {y}");
    }

    // Health: every online workload's request rate, joined on cluster.
    let workloads = sb.backends().cluster.list_workloads().await.unwrap();
    let targets: Vec<MetricsTarget> = workloads
        .iter()
        .filter(|w| !w.id.kind.is_batch())
        .filter_map(|w| Some(MetricsTarget::new(w.id.clone(), w.model.clone()?)))
        .collect();
    assert!(targets.len() >= 10, "{}", targets.len());
    let real = prom_metrics.fleet_health(&targets).await.unwrap();
    let own = sb.backends().metrics.fleet_health(&targets).await.unwrap();
    for t in &targets {
        let r = real[&t.workload].get(Signal::RequestRate).unwrap();
        let o = own[&t.workload].get(Signal::RequestRate).unwrap();
        // A 5 m mean against the world's instant (which wiggles by 12 %).
        assert!((r / o - 1.0).abs() < 0.2, "{}: {r}/s vs {o}/s", t.workload);
        assert!(
            real[&t.workload].get(Signal::ErrorRatio).is_some(),
            "{}",
            t.workload
        );
        assert!(
            real[&t.workload].get(Signal::LatencyP99).is_some(),
            "{}",
            t.workload
        );
    }

    // Consumer lag (issue 14): the fraud consumer falling behind, read by
    // the default kafka_exporter templates from the scraped exposition,
    // equals the world's own (its group from the consumer-group label).
    let scorer = workloads
        .iter()
        .find(|w| w.id.name == "fraud-stream-scorer")
        .unwrap();
    let target = MetricsTarget::from(scorer);
    let real = prom_metrics
        .fleet_health(std::slice::from_ref(&target))
        .await
        .unwrap()[&target.workload]
        .stream
        .clone()
        .expect("lag from Prometheus");
    let own = sb
        .backends()
        .metrics
        .fleet_health(std::slice::from_ref(&target))
        .await
        .unwrap()[&target.workload]
        .stream
        .clone()
        .unwrap();
    assert_eq!(real.group, "fraud-scoring");
    assert_eq!(real.topic, own.topic);
    // The last scrape is at most a couple of seconds old: 250 msg/s growth.
    let near = |a: f64, b: f64, rel: f64| (a / b - 1.0).abs() < rel;
    assert!(
        near(real.lag_messages, own.lag_messages, 0.01),
        "{real:?} vs {own:?}"
    );
    assert!(near(
        real.lag_seconds.unwrap(),
        own.lag_seconds.unwrap(),
        0.01
    ));
    assert!(
        near(real.throughput.unwrap(), own.throughput.unwrap(), 0.05),
        "{real:?}"
    );
    assert_eq!(real.trend, LagTrend::Growing, "{real:?}");
    // The older half of the window is the backfill at a 5-minute step,
    // which Prometheus holds flat between samples (a staircase): its least
    // squares slope is near the world's 250 msg/s, not exact.
    assert!(near(real.slope_per_s.unwrap(), 250.0, 0.15), "{real:?}");
    assert_eq!(
        real.top_partitions[0].partition,
        own.top_partitions[0].partition
    );

    // Hostile names: Prometheus stored the label value as written.
    let q = r#"modeldeck_feature_missing_total{model="hostile-model"}"#;
    let names: Vec<String> = vector(&client, q)
        .await
        .into_iter()
        .filter_map(|(l, _)| l.get("feature").cloned())
        .collect();
    assert!(names.iter().any(|n| n == HOSTILE), "{names:?}");
    drop(prom);
}

/// promtool, Prometheus' own parser and linter, accepts the exposition of
/// a world with a hostile feature name (exit 0, nothing reported).
#[test]
fn promtool_accepts_the_exposition() {
    let bin = tool("promtool");
    for sb in [
        Sandbox::demo_with(DEMO_SEED, ClockMode::Wall).unwrap(),
        hostile_world(),
    ] {
        let ex = sb.exporter();
        ex.render();
        std::thread::sleep(Duration::from_millis(1100));
        let body = ex.render();
        assert!(body.contains("modeldeck_feature_value_bucket"));
        let mut child = Command::new(&bin)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "promtool: {said}");
        assert!(said.trim().is_empty(), "promtool: {said}");
    }
    // A body with a raw newline in a label value is refused: the check can fail.
    let mut child = Command::new(&bin)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"# TYPE x_total counter\nx_total{f=\"a\nb\"} 1\n")
        .unwrap();
    assert!(!child.wait_with_output().unwrap().status.success());
}
