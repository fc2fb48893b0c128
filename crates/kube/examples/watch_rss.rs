//! Steady and relist memory of the kube adapter watching a cluster, in its
//! own process: connects to the kubeconfig's current context, waits for the
//! first full list, then prints `t_ms rss_kib changes` every 200 ms
//! for the given number of seconds. `scripts/bench/watch-rss.sh` restarts
//! the API server meanwhile, which makes the watchers relist.
//!
//! With `all` as third argument, every context of the kubeconfig
//! (`scripts/bench/scale-10x.sh`: 10 contexts).
//!
//! `cargo run --release -p modeldeck-kube --example watch_rss -- KUBECONFIG SECONDS [all]`

use modeldeck_core::ports::Cluster;
use modeldeck_kube::{Contexts, KubeCluster, KubeOptions};
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let kubeconfig = args.next().ok_or("usage: watch_rss KUBECONFIG SECONDS")?;
    let secs: u64 = args
        .next()
        .ok_or("usage: watch_rss KUBECONFIG SECONDS")?
        .parse()?;
    let contexts = match args.next().as_deref() {
        Some("all") => Contexts::All,
        None => Contexts::Current,
        Some(other) => return Err(format!("third argument: `{other}` (only `all`)").into()),
    };
    let cluster = KubeCluster::connect(KubeOptions {
        kubeconfig: vec![kubeconfig.into()],
        contexts,
        ..KubeOptions::default()
    })
    .map_err(|e| e.message)?;
    cluster.wait_ready(Duration::from_secs(60)).await;
    let n = cluster.list_workloads().await.map_err(|e| e.message)?.len();
    let mut changes = cluster
        .changed()
        .ok_or("the adapter does not notify changes")?;
    let t0 = Instant::now();
    println!("# listed {n} workloads; t_ms rss_kib changes");
    while t0.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        println!(
            "{} {} {}",
            t0.elapsed().as_millis(),
            rss_kib(),
            *changes.borrow_and_update()
        );
    }
    let n = cluster.list_workloads().await.map_err(|e| e.message)?.len();
    println!("# end: {n} workloads");
    Ok(())
}
