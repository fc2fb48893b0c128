//! Scale benchmark: N bound Deployments in the sandbox API server, read by
//! the kube adapter. Prints a markdown table (server start, adapter first
//! full list, change-to-visible latency, process RSS). Figures live in
//! docs/kube.md. Run: `cargo run -p modeldeck-kube --example scale_bench [--release] -- 1000 10000`.

use modeldeck_apiserver::{ApiServer, ControllerConfig, ServerConfig, fixtures, write_kubeconfig};
use modeldeck_core::ports::Cluster;
use modeldeck_kube::{Contexts, KubeCluster, KubeOptions};
use serde_json::json;
use std::time::{Duration, Instant};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn run(n: usize) -> Result<String, Box<dyn std::error::Error>> {
    let rss0 = rss_mb();
    let t = Instant::now();
    let cfg = ServerConfig {
        controller: ControllerConfig {
            pods: false,
            ..ControllerConfig::default()
        },
        ..ServerConfig::named("bench")
    }
    .with_seed(fixtures::scale_seed("bench", n));
    let s = ApiServer::start(cfg).await?;
    let start = t.elapsed();
    let rss_server = rss_mb();
    let path = std::env::temp_dir().join(format!("modeldeck-bench-{}-{n}", std::process::id()));
    write_kubeconfig(&path, &[s.kubeconfig_entry("admin")?], "bench")?;
    let t = Instant::now();
    let c = KubeCluster::connect(KubeOptions {
        kubeconfig: vec![path.clone()],
        contexts: Contexts::All,
        call_timeout: Duration::from_secs(120),
        ..KubeOptions::default()
    })?;
    let mut rx = c.changed().ok_or("no change feed")?;
    while c.list_workloads().await?.len() < n {
        rx.changed().await?;
    }
    let sync = t.elapsed();
    let rss_adapter = rss_mb();
    let t = Instant::now();
    for _ in 0..5 {
        c.list_workloads().await?;
    }
    let list = t.elapsed() / 5;
    let mut lat = Vec::new();
    for i in 0..20 {
        let name = format!("serve-{:05}", i * (n / 20).max(1));
        let ns = format!("team-{:02}", (i * (n / 20).max(1)) % 20);
        let v = format!("{}", 100 + i);
        let t = Instant::now();
        s.merge_patch("apps/v1", "Deployment", &ns, &name, json!({"spec": {"template": {"metadata": {"annotations": {"modeldeck.io/model-version": v}}}}}))?;
        loop {
            let ws = c.list_workloads().await?;
            if ws
                .iter()
                .any(|w| w.id.name == name && w.served_version.as_deref() == Some(v.as_str()))
            {
                break;
            }
            rx.changed().await?;
        }
        lat.push(t.elapsed());
    }
    lat.sort();
    let _ = std::fs::remove_file(&path);
    Ok(format!(
        "| {n} | {:.2} s | {:.2} s | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} MB | {:.0} MB |",
        start.as_secs_f64(),
        sync.as_secs_f64(),
        list.as_secs_f64() * 1000.0,
        lat[lat.len() / 2].as_secs_f64() * 1000.0,
        lat[lat.len() - 1].as_secs_f64() * 1000.0,
        rss_server - rss0,
        rss_adapter - rss_server,
    ))
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    println!(
        "| deployments | server start (seed+settle) | adapter first full list | list_workloads() | change visible p50 | max of 20 | server RSS | adapter RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for n in sizes {
        match run(n).await {
            Ok(row) => println!("{row}"),
            Err(e) => {
                eprintln!("scale_bench {n}: {e}");
                std::process::exit(1);
            }
        }
    }
}
