//! Builds a generated world and reports its build time and the process's
//! resident memory (Linux): `cargo run --release -p modeldeck-sandbox --example scale [workloads] [models]`.

use modeldeck_sandbox::{GenSpec, Sandbox};
use std::time::Instant;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let workloads = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let models = args.next().and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let before = rss_kib().unwrap_or(0);
    let t = Instant::now();
    let sb = Sandbox::generate(&GenSpec {
        workloads,
        models,
        ..GenSpec::default()
    });
    let built = t.elapsed();
    let after = rss_kib().unwrap_or(0);
    let t = Instant::now();
    let listed = sb.backends().cluster.list_workloads().await?;
    let list = t.elapsed();
    println!(
        "{workloads} workloads / {models} models: built in {:.1} ms, world ~{} MiB resident, list_workloads {} in {:.1} ms",
        built.as_secs_f64() * 1000.0,
        after.saturating_sub(before) / 1024,
        listed.len(),
        list.as_secs_f64() * 1000.0
    );
    Ok(())
}
