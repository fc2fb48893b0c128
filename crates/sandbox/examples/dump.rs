//! Prints the demo world as JSON (models, versions, runs, workloads, health):
//! `cargo run -p modeldeck-sandbox --example dump [seed]`.

use modeldeck_core::domain::{MetricsTarget, Timestamp};
use modeldeck_sandbox::{ClockMode, Sandbox};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(42);
    let sb = Sandbox::demo_with(
        seed,
        ClockMode::Virtual {
            start: Timestamp(1_795_856_400_000),
        },
    )?;
    let b = sb.backends();
    let models = b.registry.list_models().await?;
    let mut out = serde_json::Map::new();
    let mut versions = Vec::new();
    for m in &models {
        for v in b.registry.list_versions(&m.name).await? {
            let run = match &v.run_id {
                Some(id) => Some(b.registry.get_run(id).await?),
                None => None,
            };
            versions.push(serde_json::json!({"version": v, "run": run}));
        }
    }
    let workloads = b.cluster.list_workloads().await?;
    let targets: Vec<MetricsTarget> = workloads.iter().map(MetricsTarget::from).collect();
    let health = b.metrics.fleet_health(&targets).await?;
    let health: Vec<_> = health
        .into_iter()
        .map(|(k, v)| serde_json::json!({"workload": k.to_string(), "health": v}))
        .collect();
    out.insert("models".into(), serde_json::to_value(&models)?);
    out.insert("versions".into(), serde_json::Value::Array(versions));
    out.insert("workloads".into(), serde_json::to_value(&workloads)?);
    out.insert("health".into(), serde_json::Value::Array(health));
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
