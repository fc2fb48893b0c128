//! Chooses the backends behind the [`Console`]: the sandbox world with
//! `--sandbox` (or `demo`), otherwise the profile resolved from the config
//! file and the environment, with real adapters: kube for the cluster(s),
//! MLflow for the registry, Prometheus for the metrics. Secrets come from
//! the ecosystem's environment variables first, then the OS keychain.

use crate::cli::GlobalArgs;
use crate::failure::Failure;
use crate::unconfigured::NotConfigured;
use modeldeck_core::config::secrets::{Secret, SecretKind, SecretStore, lookup};
use modeldeck_core::config::{Profile, config_path, load_file, process_env, resolve};
use modeldeck_core::console::Backends;
use modeldeck_core::error::Backend;
use modeldeck_core::ports::{Cluster, Metrics, Registry};
use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_kube::KubeCluster;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const TRY_SANDBOX: &str =
    "try \"modeldeck demo\", or \"modeldeck --sandbox <command>\" for the simulated world";

/// Builds the console the command runs against: the simulated world with
/// `--sandbox` (or `demo`), otherwise the configured profile.
///
/// Errors: [`Failure::NoProfile`] (exit 2) when no profile names any
/// backend, the config file is unreadable, or a setting is invalid.
pub async fn build_console(global: &GlobalArgs) -> Result<Console, Failure> {
    if global.sandbox {
        return crate::sandbox_world::console(global);
    }
    let profile = load_profile(global)?;
    if !anything_configured(&profile) {
        return Err(Failure::NoProfile(format!(
            "no profile is configured (no cluster, registry or metrics backend in {}, and \
             neither KUBECONFIG, ~/.kube/config, MLFLOW_TRACKING_URI nor PROMETHEUS_URL is \
             set); run \"modeldeck config init\" to start one, or {TRY_SANDBOX}",
            config_path().display()
        )));
    }
    let (console, kube) = profile_console(&profile, &keychain)?;
    if let Some(kube) = kube.filter(|_| !global.live) {
        // A one-shot command reports every context, so it waits (bounded)
        // until none is still connecting; the TUI shows them as they come.
        kube.wait_ready(Duration::from_secs(10)).await;
    }
    Ok(console)
}

/// A console with the promotion service over the same ports.
pub struct Session {
    /// The console.
    pub console: Console,
    /// The promotion service.
    pub promotions: Arc<modeldeck_promotion::Promotions>,
    /// The sandbox's temporary journal directory, removed on drop.
    _scratch: Option<crate::promotions::ScratchDir>,
}

/// Like [`build_console`], plus the promotion service.
pub async fn build_session(global: &GlobalArgs) -> Result<Session, Failure> {
    if global.sandbox {
        let (console, world) = crate::sandbox_world::world(global)?;
        let (p, scratch) = crate::promotions::for_sandbox(&console, &world, global.live)?;
        return Ok(Session {
            console,
            promotions: Arc::new(p),
            _scratch: Some(scratch),
        });
    }
    let profile = load_profile(global)?;
    let console = build_console(global).await?;
    let p = crate::promotions::for_profile(&console, &profile)?;
    Ok(Session {
        console,
        promotions: Arc::new(p),
        _scratch: None,
    })
}

/// The profile chosen by `--profile` / `MODELDECK_PROFILE` / the file's
/// default, with the environment layered over it.
pub fn load_profile(global: &GlobalArgs) -> Result<Profile, Failure> {
    let path = config_path();
    let file = load_file(&path).map_err(|e| Failure::NoProfile(format!("{e}; {TRY_SANDBOX}")))?;
    resolve(&file, &path, global.profile.as_deref(), &process_env())
        .map_err(|e| Failure::NoProfile(e.to_string()))
}

fn default_kubeconfig() -> Option<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().join(".kube").join("config"))
        .filter(|p| p.exists())
}

fn anything_configured(p: &Profile) -> bool {
    p.registry.url.is_some()
        || p.metrics.url.is_some()
        || !p.cluster.kubeconfig.is_empty()
        || default_kubeconfig().is_some()
}

/// The OS keychain, opened only when a secret is actually needed.
fn keychain() -> Arc<dyn SecretStore> {
    Arc::new(modeldeck_secrets::Keychain)
}

/// A console over the real backends `profile` names; the ones it leaves
/// out answer "not configured".
pub fn profile_console(
    profile: &Profile,
    store: &dyn Fn() -> Arc<dyn SecretStore>,
) -> Result<(Console, Option<Arc<KubeCluster>>), Failure> {
    let env = process_env();
    let kube = cluster_port(profile)?;
    let cluster: Arc<dyn Cluster> = match &kube {
        Some(k) => k.clone(),
        None => Arc::new(NotConfigured::new(
            Backend::Cluster,
            format!(
                "no kubeconfig (set [profiles.{}.cluster] kubeconfig, or KUBECONFIG)",
                profile.name
            ),
        )),
    };
    let registry = registry_port(profile, &env, store)?;
    let (metrics, prom) = metrics_port(profile, &env, store)?;
    let opts = ConsoleOptions {
        profile: profile.name.clone(),
        sandbox: false,
        drift_warn: profile.drift.warn,
        drift_alert: profile.drift.alert,
        ..ConsoleOptions::default()
    };
    let console = Console::new(
        Backends {
            cluster,
            registry,
            metrics,
        },
        opts,
    );
    if let Some(prom) = prom {
        feed_workload_models(&console, prom);
    }
    Ok((console, kube))
}

/// Keeps the Prometheus adapter told which model each workload serves
/// (templates may use `{model}`).
fn feed_workload_models(console: &Console, prom: Arc<modeldeck_prometheus::PrometheusMetrics>) {
    let mut rx = console.subscribe();
    tokio::spawn(async move {
        let mut last = 0usize;
        loop {
            let snap = rx.borrow_and_update().clone();
            let ptr = Arc::as_ptr(&snap.workloads) as usize;
            if ptr != last {
                last = ptr;
                let map: BTreeMap<_, _> = snap
                    .workloads
                    .iter()
                    .filter_map(|w| Some((w.id.clone(), w.model.clone()?)))
                    .collect();
                prom.set_workload_models(map);
            }
            if rx.changed().await.is_err() {
                break;
            }
        }
    });
}

fn cluster_port(p: &Profile) -> Result<Option<Arc<KubeCluster>>, Failure> {
    use modeldeck_kube::{BindingConfig, Contexts, KubeOptions};
    if p.cluster.kubeconfig.is_empty() && default_kubeconfig().is_none() {
        return Ok(None);
    }
    let b = &p.binding;
    let opts = KubeOptions {
        kubeconfig: p.cluster.kubeconfig.clone(),
        contexts: match p.cluster.contexts.as_slice() {
            [] => Contexts::Current,
            [one] if one == "*" => Contexts::All,
            many => Contexts::Named(many.to_vec()),
        },
        namespaces: (!p.cluster.namespaces.is_empty()).then(|| p.cluster.namespaces.clone()),
        binding: BindingConfig {
            model_label: b.model_label.clone(),
            version_annotation: b.version_annotation.clone(),
            version_env: b.version_env.clone(),
            uri_env: b.uri_env.clone(),
            ..BindingConfig::default()
        },
        ..KubeOptions::default()
    };
    let cluster = KubeCluster::connect(opts).map_err(|e| {
        Failure::NoProfile(format!("profile \"{}\": cluster: {}", p.name, e.message))
    })?;
    Ok(Some(Arc::new(cluster)))
}

/// Looks up a secret, turning a keychain failure into a warning when the
/// secret is optional and into a clear error when it is required.
fn secret(
    p: &Profile,
    kind: SecretKind,
    env: &BTreeMap<String, String>,
    store: &dyn Fn() -> Arc<dyn SecretStore>,
    required: bool,
) -> Result<Option<Secret>, Failure> {
    if let Some(v) = env.get(kind.env_var()).filter(|v| !v.is_empty()) {
        return Ok(Some(Secret::new(v.clone())));
    }
    let s = store();
    match lookup(Some(s.as_ref()), &p.name, kind, env) {
        Ok(v) => Ok(v),
        Err(e) if required => Err(Failure::NoProfile(format!(
            "profile \"{}\": the {} is needed and {e}; set {} instead, or fix the keychain",
            p.name,
            kind.account(),
            kind.env_var()
        ))),
        Err(e) => {
            tracing::warn!(profile = %p.name, secret = kind.account(), "{e}");
            Ok(None)
        }
    }
}

fn registry_port(
    p: &Profile,
    env: &BTreeMap<String, String>,
    store: &dyn Fn() -> Arc<dyn SecretStore>,
) -> Result<Arc<dyn Registry>, Failure> {
    use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, MlflowRegistry};
    let Some(url) = &p.registry.url else {
        return Ok(Arc::new(NotConfigured::new(
            Backend::Registry,
            format!(
                "no registry URL (set [profiles.{}.registry] url, or MLFLOW_TRACKING_URI)",
                p.name
            ),
        )));
    };
    let auth = match &p.registry.username {
        Some(user) => Auth::Basic {
            username: user.clone(),
            password: secret(p, SecretKind::RegistryPassword, env, store, true)?
                .unwrap_or_else(|| Secret::new(String::new())),
        },
        None => match secret(p, SecretKind::RegistryToken, env, store, false)? {
            Some(t) => Auth::Bearer(t),
            None => Auth::None,
        },
    };
    let bad = |e: String| Failure::NoProfile(format!("profile \"{}\": registry: {e}", p.name));
    let mut cfg = MlflowConfig::new(url, auth).map_err(|e| bad(e.to_string()))?;
    cfg.insecure_tls = p.registry.insecure_tls;
    if let Some(secs) = p.registry.timeout_secs {
        cfg.timeout = Duration::from_secs(secs.max(1));
    }
    if let Some(path) = env
        .get("MLFLOW_TRACKING_SERVER_CERT_PATH")
        .filter(|v| !v.is_empty())
    {
        cfg.ca_cert_path = Some(path.into());
    }
    let client = MlflowClient::new(cfg).map_err(|e| bad(e.message))?;
    Ok(Arc::new(MlflowRegistry::new(client)))
}

type MetricsPorts = (
    Arc<dyn Metrics>,
    Option<Arc<modeldeck_prometheus::PrometheusMetrics>>,
);

fn metrics_port(
    p: &Profile,
    env: &BTreeMap<String, String>,
    store: &dyn Fn() -> Arc<dyn SecretStore>,
) -> Result<MetricsPorts, Failure> {
    use modeldeck_prometheus::{ClientConfig, PromClient, PrometheusMetrics, PromqlTemplates};
    if p.metrics.url.is_none() {
        return Ok((
            Arc::new(NotConfigured::new(
                Backend::Metrics,
                format!(
                    "no metrics URL (set [profiles.{}.metrics] url, or PROMETHEUS_URL)",
                    p.name
                ),
            )),
            None,
        ));
    }
    let bad = |e: String| Failure::NoProfile(format!("profile \"{}\": metrics: {e}", p.name));
    let kind = if p.metrics.username.is_some() {
        SecretKind::MetricsPassword
    } else {
        SecretKind::MetricsToken
    };
    let sec = secret(p, kind, env, store, p.metrics.username.is_some())?
        .map(|s| modeldeck_prometheus::Secret::new(s.expose().to_string()));
    let cfg = ClientConfig::from_endpoint(&p.metrics, sec).map_err(|e| bad(e.to_string()))?;
    let client = PromClient::new(cfg).map_err(|e| bad(e.to_string()))?;
    let templates = PromqlTemplates::from_overrides(&p.promql).map_err(|e| bad(e.to_string()))?;
    let prom = PrometheusMetrics::new(client, templates)
        .map_err(|e| bad(e.to_string()))?
        .with_drift_thresholds(p.drift.warn, p.drift.alert);
    let prom = Arc::new(prom);
    Ok((prom.clone(), Some(prom)))
}
