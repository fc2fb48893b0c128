//! Prints how long seeding N deployments takes (debug-build figures only).
use modeldeck_apiserver::{ApiServer, ControllerConfig, ServerConfig, fixtures};
use std::time::Instant;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let t = Instant::now();
    let seed = fixtures::scale_seed("big", n);
    println!("seed objects: {:?}", t.elapsed());
    let cfg = ServerConfig {
        controller: ControllerConfig {
            pods: false,
            ..ControllerConfig::default()
        },
        ..ServerConfig::named("big")
    }
    .with_seed(seed);
    let t = Instant::now();
    let s = ApiServer::start(cfg).await;
    println!("start: {:?} ok={}", t.elapsed(), s.is_ok());
}
