//! Per-context background work: build the client from the kubeconfig,
//! probe the server, find out whether KServe is installed, and run one
//! watcher per (source, namespace) that feeds the workload store. kube's
//! watcher re-lists after 410 Gone and backs off on errors by itself.
//! A listing is bounded page by page (`call_timeout` for each page, not
//! for the whole listing), and its rows reach the store page by page.

use crate::config::KubeOptions;
use crate::context::Ctx;
use crate::convert;
use crate::error::bounded;
use crate::store::{Scope, Source, WorkloadStore};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config, Resource, ResourceExt};
use modeldeck_core::domain::Workload;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// The KServe API resource.
pub fn isvc_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        "serving.kserve.io",
        "v1beta1",
        "InferenceService",
    ))
}

/// Builds the client of one context (no network).
pub async fn build_client(kc: Kubeconfig, ctx: &Ctx, opts: &KubeOptions) -> Option<Client> {
    let kopts = KubeConfigOptions {
        context: Some(ctx.name.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = match Config::from_custom_kubeconfig(kc, &kopts).await {
        Ok(c) => c,
        Err(e) => {
            ctx.set_client_failed(crate::error::from_kube(
                kube::Error::InferKubeconfig(e),
                &ctx.name,
                "reading the kubeconfig",
            ));
            return None;
        }
    };
    crate::config::prepare_auth(&mut config.auth_info);
    config.connect_timeout = Some(opts.connect_timeout);
    config.default_retry = false;
    let server = config.cluster_url.to_string();
    let built = kube::client::ClientBuilder::try_from(config).map(|b| {
        b.with_layer(&crate::cap::CapLayer {
            max: opts.max_body_bytes,
        })
        .build()
    });
    match built {
        Ok(c) => {
            ctx.set_client(c.clone(), server);
            Some(c)
        }
        Err(e) => {
            ctx.set_client_failed(crate::error::from_kube(e, &ctx.name, "building the client"));
            None
        }
    }
}

/// Objects per list request (kube's watcher default too): rows reach the
/// store a page at a time.
pub const PAGE_SIZE: u32 = 500;

/// A (re)list in progress: the page being read and every object named so far.
#[derive(Default)]
struct Listing {
    page: Vec<(String, String, Workload)>,
    seen: std::collections::HashSet<(String, String)>,
}

async fn watch_source<K, F>(
    api: Api<K>,
    scope: Scope,
    label: String,
    ctx: Arc<Ctx>,
    store: Arc<WorkloadStore>,
    convert: F,
    page_timeout: Duration,
) where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    F: Fn(&K) -> Option<Workload>,
{
    ctx.started(&scope);
    let what = format!("watching {:?}", scope.source);
    loop {
        let cfg = watcher::Config::default()
            .labels(&label)
            .page_size(PAGE_SIZE);
        let stream = watcher(api.clone(), cfg).default_backoff();
        futures::pin_mut!(stream);
        let stalled = follow(&mut stream, &scope, &ctx, &store, &convert, page_timeout).await;
        let Some(listed) = stalled else { return };
        // Each page is bounded, not the listing: this one stalled. Say so
        // (the context fails now, in bounded time) and list again.
        ctx.failed(
            Some(&scope),
            crate::error::cluster_error(
                modeldeck_core::error::ErrorCode::Timeout,
                &ctx.name,
                format!(
                    "{what}: no page of the listing within {} ms ({listed} objects listed before it stalled); listing again",
                    page_timeout.as_millis()
                ),
            ),
        );
        tokio::time::sleep(page_timeout.min(Duration::from_secs(5))).await;
    }
}

/// Feeds the store from one watcher stream. While a (re)list is in
/// progress, every wait for the next page is bounded by `page_timeout`
/// (not the whole listing: a long listing that keeps answering goes on);
/// returns `Some(objects listed)` when a page did not come in time, `None`
/// when the stream ended. Pages go to the store as they come.
async fn follow<S, K, F>(
    stream: &mut std::pin::Pin<&mut S>,
    scope: &Scope,
    ctx: &Ctx,
    store: &WorkloadStore,
    convert: &F,
    page_timeout: Duration,
) -> Option<usize>
where
    S: futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>>,
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    F: Fn(&K) -> Option<Workload>,
{
    let what = format!("watching {:?}", scope.source);
    // The watcher lists first; after an error it backs off (unbounded: the
    // error already reached the context) before it lists again.
    let mut listing: Option<Listing> = Some(Listing::default());
    let mut backing_off = false;
    loop {
        let ev = match (&listing, backing_off) {
            (Some(l), false) => match tokio::time::timeout(page_timeout, stream.next()).await {
                Ok(ev) => ev,
                Err(_) => return Some(l.seen.len()),
            },
            _ => stream.next().await,
        }?;
        ctx.progressed();
        backing_off = false;
        match ev {
            Ok(watcher::Event::Init) => listing = Some(Listing::default()),
            Ok(watcher::Event::InitApply(o)) => {
                let l = listing.get_or_insert_with(Listing::default);
                let (ns, name) = (o.namespace().unwrap_or_default(), o.name_any());
                l.seen.insert((ns.clone(), name.clone()));
                if let Some(w) = convert(&o) {
                    l.page.push((ns, name, w));
                }
                if l.page.len() >= PAGE_SIZE as usize {
                    store.upsert_page(scope, std::mem::take(&mut l.page));
                }
            }
            Ok(watcher::Event::InitDone) => {
                let l = listing.take().unwrap_or_default();
                store.finish_list(scope, l.page, &l.seen);
                ctx.synced(scope);
            }
            Ok(watcher::Event::Apply(o)) => store.apply(
                scope,
                &o.namespace().unwrap_or_default(),
                &o.name_any(),
                convert(&o),
            ),
            Ok(watcher::Event::Delete(o)) => store.apply(
                scope,
                &o.namespace().unwrap_or_default(),
                &o.name_any(),
                None,
            ),
            Err(watcher::Error::WatchError(s)) if s.code == 410 => {
                tracing::debug!(context = %ctx.name, source = ?scope.source, "watch expired (410), re-listing");
            }
            Err(e) => {
                backing_off = true;
                tracing::debug!(context = %ctx.name, source = ?scope.source, error = %crate::error::scrub(&e.to_string()), "watch error");
                let ke = match e {
                    watcher::Error::InitialListFailed(k)
                    | watcher::Error::WatchStartFailed(k)
                    | watcher::Error::WatchFailed(k) => k,
                    watcher::Error::WatchError(s) => kube::Error::Api(s),
                    other => {
                        ctx.failed(
                            Some(scope),
                            crate::error::cluster_error(
                                modeldeck_core::error::ErrorCode::MalformedResponse,
                                &ctx.name,
                                format!("{what}: {other}"),
                            ),
                        );
                        continue;
                    }
                };
                ctx.failed_kube(Some(scope), ke, &what);
            }
        }
    }
}

fn api_for<K>(client: &Client, ns: &Option<String>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match ns {
        Some(n) => Api::namespaced(client.clone(), n),
        None => Api::all(client.clone()),
    }
}

/// Whether the KServe API group is served (`None` when discovery failed).
async fn has_kserve(client: &Client, ctx: &Ctx, budget: Duration) -> Option<bool> {
    let r = bounded(budget, &ctx.name, "discovering API groups", async {
        client
            .list_api_groups()
            .await
            .map_err(|e| crate::error::from_kube(e, &ctx.name, "discovering API groups"))
    })
    .await;
    match r {
        Ok(groups) => Some(groups.groups.iter().any(|g| g.name == "serving.kserve.io")),
        Err(e) => {
            ctx.failed(None, e);
            None
        }
    }
}

/// Runs one context: connects, then starts its watchers. Returns their tasks.
pub async fn run_context(
    kc: Kubeconfig,
    ctx: Arc<Ctx>,
    store: Arc<WorkloadStore>,
    opts: Arc<KubeOptions>,
) -> Vec<JoinHandle<()>> {
    let Some(client) = build_client(kc, &ctx, &opts).await else {
        return Vec::new();
    };
    let namespaces: Vec<Option<String>> = match &opts.namespaces {
        Some(list) => list.iter().cloned().map(Some).collect(),
        None => vec![None],
    };
    let label = opts.binding.model_label.clone();
    let mut tasks = Vec::new();
    for ns in &namespaces {
        let scope = |source| Scope {
            context: ctx.name.clone(),
            source,
            namespace: ns.clone(),
        };
        let (b, c) = (opts.binding.clone(), ctx.name.clone());
        tasks.push(tokio::spawn(watch_source(
            api_for::<Deployment>(&client, ns),
            scope(Source::Deployments),
            label.clone(),
            ctx.clone(),
            store.clone(),
            move |d: &Deployment| convert::deployment(&b, &c, d),
            opts.call_timeout,
        )));
        let (b, c) = (opts.binding.clone(), ctx.name.clone());
        tasks.push(tokio::spawn(watch_source(
            api_for::<CronJob>(&client, ns),
            scope(Source::CronJobs),
            label.clone(),
            ctx.clone(),
            store.clone(),
            move |j: &CronJob| convert::cron_job(&b, &c, j),
            opts.call_timeout,
        )));
    }
    if opts.inference_services {
        let (ctx2, store2, opts2, client2) =
            (ctx.clone(), store.clone(), opts.clone(), client.clone());
        let scopes: Vec<Scope> = namespaces
            .iter()
            .map(|ns| Scope {
                context: ctx.name.clone(),
                source: Source::InferenceServices,
                namespace: ns.clone(),
            })
            .collect();
        // Pending until discovery answers, so the context is not Ready
        // before its InferenceServices are listed.
        for s in &scopes {
            ctx.started(s);
        }
        tasks.push(tokio::spawn(async move {
            // Retry discovery until the group shows up: KServe may be installed later.
            let mut delay = Duration::from_secs(2);
            loop {
                match has_kserve(&client2, &ctx2, opts2.call_timeout).await {
                    Some(true) => break,
                    Some(false) => {
                        for s in &scopes {
                            ctx2.not_watched(s);
                        }
                    }
                    None => {}
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(300));
            }
            let ar = isvc_resource();
            let mut inner = Vec::new();
            for ns in &namespaces {
                let api: Api<DynamicObject> = match ns {
                    Some(n) => Api::namespaced_with(client2.clone(), n, &ar),
                    None => Api::all_with(client2.clone(), &ar),
                };
                let scope = Scope {
                    context: ctx2.name.clone(),
                    source: Source::InferenceServices,
                    namespace: ns.clone(),
                };
                let (b, c) = (opts2.binding.clone(), ctx2.name.clone());
                inner.push(watch_source(
                    api,
                    scope,
                    opts2.binding.model_label.clone(),
                    ctx2.clone(),
                    store2.clone(),
                    move |o: &DynamicObject| convert::inference_service(&b, &c, o),
                    opts2.call_timeout,
                ));
            }
            futures::future::join_all(inner).await;
        }));
    }
    tasks
}
