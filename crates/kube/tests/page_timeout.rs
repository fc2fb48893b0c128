//! What `call_timeout` bounds while a context lists: each page, not the
//! whole listing. The simulated API server sits behind a TCP relay (plain
//! HTTP) that holds back Deployment list requests: every page a little
//! (a slow link: the listing as a whole takes several call timeouts but
//! keeps answering, and must not be cut off), or every page after the
//! second for good (a dead link: the listing must fail in bounded time,
//! naming the stall, and the pages read before it still show). The relay
//! also counts Job reads: a context still listing is not asked for its
//! CronJobs' runs (they would queue behind its pages and hold back the
//! rows already listed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::{ApiServer, ControllerConfig, KubeconfigEntry, ServerConfig, fixtures};
use modeldeck_core::domain::WorkloadKind;
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::{ContextPhase, KubeCluster};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the relay treats a Deployment list request (a page).
#[derive(Clone, Copy)]
enum Link {
    /// Holds every page back this long.
    Slow(Duration),
    /// Passes this many pages, then never another.
    DeadAfter(usize),
}

/// What the relay saw: Deployment list pages and Job reads.
#[derive(Clone, Default)]
struct Seen {
    pages: Arc<AtomicUsize>,
    jobs: Arc<AtomicUsize>,
}

/// Relays TCP to `upstream`, holding back Deployment list pages as `link`
/// says; counts the pages and the Job reads it saw.
async fn relay(upstream: SocketAddr, link: Link) -> (SocketAddr, Seen) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Seen::default();
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = l.accept().await {
            let Seen { pages, jobs } = counter.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let head = String::from_utf8_lossy(&buf[..n.min(512)]).to_string();
                    if head.starts_with("GET /apis/batch/v1/") && head.contains("/jobs") {
                        jobs.fetch_add(1, Ordering::SeqCst);
                    }
                    let page = head.starts_with("GET /apis/apps/v1/deployments?")
                        && head.contains("limit=")
                        && !head.contains("watch=");
                    if page {
                        let seen = pages.fetch_add(1, Ordering::SeqCst) + 1;
                        match link {
                            Link::Slow(d) => tokio::time::sleep(d).await,
                            Link::DeadAfter(k) if seen > k => {
                                // Hold the connection open, answer nothing.
                                std::future::pending::<()>().await;
                            }
                            Link::DeadAfter(_) => {}
                        }
                    }
                    if sw.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// `n` Deployments (and the demo's CronJob when `cronjob`) behind a relay.
async fn behind_relay(
    n: usize,
    link: Link,
    cronjob: bool,
) -> (modeldeck_apiserver::ApiServerHandle, KubeconfigEntry, Seen) {
    let mut seed = fixtures::scale_seed("far", n);
    if cronjob {
        let demo = fixtures::demo_seed("far").objects;
        let wanted = |o: &&serde_json::Value| {
            o["kind"] == "CronJob"
                || (o["kind"] == "Namespace" && !seed.objects.iter().any(|s| s == *o))
        };
        let (ns, jobs): (Vec<_>, Vec<_>) = demo
            .iter()
            .filter(wanted)
            .cloned()
            .partition(|o| o["kind"] == "Namespace");
        seed.objects.splice(0..0, ns);
        seed.objects.extend(jobs);
    }
    let cfg = ServerConfig {
        controller: ControllerConfig {
            pods: false,
            ..fast()
        },
        ..ServerConfig::named("far")
    }
    .with_seed(seed);
    let s = ApiServer::start(cfg).await.unwrap();
    let (addr, seen) = relay(s.addr(), link).await;
    let entry = KubeconfigEntry {
        server: format!("http://{addr}"),
        ..s.kubeconfig_entry("admin").unwrap()
    };
    (s, entry, seen)
}

/// Waits (bounded) for the one context to have listed, and says it did.
async fn until_ready(c: &KubeCluster, idle: Duration) {
    let st = tokio::time::timeout(Duration::from_secs(60), c.wait_ready(idle))
        .await
        .expect("liveness");
    assert_eq!(st[0].phase, ContextPhase::Ready, "{:?}", st[0].error);
}

fn phase(c: &KubeCluster) -> ContextPhase {
    c.context_status()[0].phase
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_listing_that_keeps_answering_is_not_cut_off() {
    // 8 pages of 500, each held back 0.7 s: about 5.6 s in all, well past
    // the 2 s call timeout, while every page comes within it.
    let (_s, entry, seen) = behind_relay(4000, Link::Slow(Duration::from_millis(700)), false).await;
    let dir = scratch();
    let c = adapter(kubeconfig(&dir, "kc", &[entry]), Duration::from_secs(2));
    // The first page shows before the context has listed everything.
    let first = c.list_workloads().await.unwrap();
    assert!(
        !first.is_empty() && first.len() < 4000,
        "rows stream in by page: {} of 4000 after the first page",
        first.len()
    );
    assert_eq!(phase(&c), ContextPhase::Connecting);
    // Waiting for the context follows its progress, not the clock alone.
    until_ready(&c, Duration::from_secs(2)).await;
    assert_eq!(c.list_workloads().await.unwrap().len(), 4000);
    assert!(c.partial_failures().is_empty());
    assert!(
        seen.pages.load(Ordering::SeqCst) >= 8,
        "every page went through the slow link"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_stops_answering_fails_in_bounded_time() {
    let (_s, entry, seen) = behind_relay(3000, Link::DeadAfter(2), false).await;
    let dir = scratch();
    let c = adapter(kubeconfig(&dir, "kc", &[entry]), Duration::from_secs(1));
    let st = tokio::time::timeout(
        Duration::from_secs(60),
        c.wait_ready(Duration::from_secs(1)),
    )
    .await
    .expect("liveness: the wait ends once nothing progresses");
    assert_eq!(st[0].phase, ContextPhase::Failed, "{st:?}");
    let e = st[0].error.clone().expect("an error");
    assert_eq!(e.code, ErrorCode::Timeout);
    assert!(
        e.message.contains("no page of the listing within 1000 ms")
            && e.message.contains("1000 objects listed"),
        "{}",
        e.message
    );
    assert!(
        e.to_string().contains("context far"),
        "names the context: {e}"
    );
    // The two pages read before the stall still show, with the failure.
    let ws = c.list_workloads().await.unwrap();
    assert_eq!(ws.len(), 1000);
    let partial = c.partial_failures();
    assert_eq!(partial.len(), 1);
    assert_eq!(partial[0].error.code, ErrorCode::Timeout);
    assert!(
        seen.pages.load(Ordering::SeqCst) >= 3,
        "the third page was asked for"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_a_context_still_listing_do_not_wait_for_cronjob_runs() {
    // The CronJob lists at once; the 4,000 Deployments take 8 slow pages.
    let (_s, entry, seen) = behind_relay(4000, Link::Slow(Duration::from_millis(700)), true).await;
    let dir = scratch();
    let c = adapter(kubeconfig(&dir, "kc", &[entry]), Duration::from_secs(5));
    let mut cron = None;
    for _ in 0..100 {
        let ws = c.list_workloads().await.unwrap();
        if let Some(w) = ws.iter().find(|w| w.id.kind == WorkloadKind::CronJob) {
            cron = Some((w.clone(), ws.len()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (w, listed) = cron.expect("the CronJob is listed while the Deployments page in");
    assert_eq!(phase(&c), ContextPhase::Connecting, "still listing");
    assert!(listed < 4001, "{listed} rows: the listing is not done");
    assert_eq!(
        seen.jobs.load(Ordering::SeqCst),
        0,
        "no Job was read for a context still listing"
    );
    assert!(w.batch.as_ref().is_some_and(|b| b.runs.is_empty()));
    // Once the context has listed, the runs are read with the rows.
    until_ready(&c, Duration::from_secs(5)).await;
    let ws = c.list_workloads().await.unwrap();
    assert_eq!(ws.len(), 4001);
    assert!(
        seen.jobs.load(Ordering::SeqCst) >= 1,
        "the CronJob's runs are read once the context is Ready"
    );
}
