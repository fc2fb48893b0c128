//! Benchmark driver (used by `bench/list_versions.sh`): seeds a model with
//! many versions, or lists them through the Rust client and prints timings.
//!
//! ```text
//! list_versions seed <uri> <model> <count>
//! list_versions list <uri> <model> <page_size> <reps>    # one line per rep: "rust-client <ms> <n>"
//! ```

use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, MlflowRegistry};
use serde_json::{Value, json};
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn client(uri: &str, page_size: u32) -> Res<MlflowClient> {
    let mut cfg = MlflowConfig::new(uri, Auth::None)?;
    cfg.page_size = page_size;
    Ok(MlflowClient::new(cfg)?)
}

async fn seed(uri: &str, model: &str, count: usize) -> Res<()> {
    let c = client(uri, 1000)?;
    let exp: Value = c
        .post_json(
            "experiments/create",
            &json!({ "name": format!("bench-{model}") }),
        )
        .await?;
    let exp_id = exp["experiment_id"].as_str().unwrap_or("0").to_string();
    let run: Value = c
        .post_json("runs/create", &json!({ "experiment_id": exp_id }))
        .await?;
    let run_id = run["run"]["info"]["run_id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let _: Value = c
        .post_json("registered-models/create", &json!({ "name": model }))
        .await?;
    for _ in 0..count {
        let _: Value = c
            .post_json(
                "model-versions/create",
                &json!({"name": model, "source": format!("runs:/{run_id}/model"), "run_id": run_id}),
            )
            .await?;
    }
    c.set_alias(model, "champion", "1").await?;
    Ok(())
}

async fn list(uri: &str, model: &str, page_size: u32, reps: usize) -> Res<()> {
    let c = client(uri, page_size)?;
    for _ in 0..reps {
        let t = Instant::now();
        let n = c.list_model_versions(model).await?.len();
        println!("rust-client {:.2} {n}", t.elapsed().as_secs_f64() * 1000.0);
    }
    let reg = MlflowRegistry::new(c);
    reg.alias_mode().await?;
    for _ in 0..reps {
        let t = Instant::now();
        let n = reg.list_versions(model).await?.len();
        println!(
            "rust-registry {:.2} {n}",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(0).as_str() {
        "seed" => seed(&arg(1), &arg(2), arg(3).parse()?).await,
        "list" => list(&arg(1), &arg(2), arg(3).parse()?, arg(4).parse()?).await,
        _ => {
            Err("usage: list_versions seed URI MODEL COUNT | list URI MODEL PAGE_SIZE REPS".into())
        }
    }
}
