//! Shutting a server down frees its port and ends its streams.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_apiserver::{ApiServer, ServerConfig};

async fn check(tls: bool) {
    let s = ApiServer::start(ServerConfig {
        tls,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let addr = s.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    s.shutdown().await;
    let after = tokio::net::TcpStream::connect(addr).await;
    assert!(after.is_err(), "tls={tls}: still accepting after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_frees_the_port() {
    check(false).await;
    check(true).await;
}
