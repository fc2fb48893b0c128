//! Issue #13 benchmark: what the Compare screen reads, in process, against
//! a real MLflow: first paint (both versions and both runs: the metric
//! table) and complete (plus both signatures, both runs' datasets, and the
//! histories of `hist` metrics of both runs), each read concurrently as
//! `Console::compare`, `compare_evidence` and `compare_curve` do.
//!
//!   cargo run --release -p modeldeck-mlflow --example compare_read -- URI MODEL HIST REPS
//!
//! Prints `first_ms=.. complete_ms=.. points=..` per rep.

use futures::future::try_join_all;
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, MlflowRegistry};
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, uri, model, hist, reps] = &args[..] else {
        return Err("usage: compare_read URI MODEL HIST REPS".into());
    };
    let (hist, reps): (usize, usize) = (hist.parse()?, reps.parse()?);
    let reg = MlflowRegistry::new(MlflowClient::new(MlflowConfig::new(uri, Auth::None)?)?);
    for _ in 0..reps {
        let t0 = Instant::now();
        let side = |v: &'static str| {
            let reg = &reg;
            async move {
                let version = reg.get_version(model, v).await?;
                let run = reg.get_run(version.run_id.as_deref().unwrap_or("")).await?;
                Ok::<_, modeldeck_core::BackendError>((version, run))
            }
        };
        let ((va, ra), (vb, rb)) = tokio::try_join!(side("1"), side("2"))?;
        let first = t0.elapsed();
        let (sa, sb, da, db) = tokio::try_join!(
            reg.model_schema(model, &va.version),
            reg.model_schema(model, &vb.version),
            reg.run_datasets(&ra.run_id),
            reg.run_datasets(&rb.run_id),
        )?;
        let curves = (0..hist).map(|m| {
            let key = format!("m{m:03}");
            let (a, b) = (ra.run_id.clone(), rb.run_id.clone());
            let reg = &reg;
            async move {
                let (x, y) =
                    tokio::try_join!(reg.metric_history(&a, &key), reg.metric_history(&b, &key))?;
                Ok::<_, modeldeck_core::BackendError>(x.len() + y.len())
            }
        });
        let points: usize = try_join_all(curves).await?.into_iter().sum();
        let complete = t0.elapsed();
        let inputs = sa.signature().map_or(0, |s| s.inputs.len())
            + sb.signature().map_or(0, |s| s.inputs.len());
        println!(
            "first_ms={:.1} complete_ms={:.1} points={points} metrics={} params={} inputs={inputs} datasets={}",
            first.as_secs_f64() * 1000.0,
            complete.as_secs_f64() * 1000.0,
            ra.metrics.len() + rb.metrics.len(),
            ra.params.len() + rb.params.len(),
            da.len() + db.len(),
        );
    }
    Ok(())
}
