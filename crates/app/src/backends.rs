//! Builds the real backends a profile names: kube for the cluster(s),
//! MLflow for the registry, Prometheus for the metrics; a backend the
//! profile leaves out answers "not configured". Secrets come from the
//! ecosystem's environment variables first, then the OS keychain (opened
//! only when a secret is needed). The only place adapters are constructed.

use crate::error::SetupError;
use crate::unconfigured::NotConfigured;
use modeldeck_core::config::secrets::{Secret, SecretKind, SecretStore, lookup};
use modeldeck_core::config::{Profile, load_file, resolve};
use modeldeck_core::console::Backends;
use modeldeck_core::error::Backend;
use modeldeck_core::ports::{Cluster, Metrics, Registry};
use modeldeck_kube::KubeCluster;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The keychain, opened on first use.
pub(crate) type SecretSource<'a> = &'a dyn Fn() -> Arc<dyn SecretStore>;

/// The profile chosen by `name` / `MODELDECK_PROFILE` / the file's default,
/// with the environment layered over it. Read once per session.
pub fn load_profile(
    config: &Path,
    name: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<Profile, SetupError> {
    let file = load_file(config).map_err(|e| SetupError::Config {
        message: format!("{e}; {}", crate::error::TRY_SANDBOX),
    })?;
    resolve(&file, config, name, env).map_err(|e| SetupError::Config {
        message: e.to_string(),
    })
}

fn default_kubeconfig() -> Option<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().join(".kube").join("config"))
        .filter(|p| p.exists())
}

/// True when `p` names any backend, or the ecosystem's default kubeconfig exists.
pub(crate) fn anything_configured(p: &Profile) -> bool {
    p.registry.url.is_some()
        || p.metrics.url.is_some()
        || !p.cluster.kubeconfig.is_empty()
        || default_kubeconfig().is_some()
}

/// The OS keychain, opened only when a secret is actually needed.
pub(crate) fn keychain() -> Arc<dyn SecretStore> {
    Arc::new(modeldeck_secrets::Keychain)
}

/// The real backends `profile` names (the ones it leaves out answer "not
/// configured"), plus the kube adapter itself for the session to drive.
pub(crate) struct ProfileBackends {
    pub backends: Backends,
    pub kube: Option<Arc<KubeCluster>>,
}

/// Builds the adapters `profile` names.
///
/// Errors: [`SetupError::Backend`] for an invalid setting or a required
/// secret the keychain cannot give.
pub(crate) fn profile_backends(
    profile: &Profile,
    env: &BTreeMap<String, String>,
    store: SecretSource<'_>,
) -> Result<ProfileBackends, SetupError> {
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
    let registry = registry_port(profile, env, store)?;
    let metrics = metrics_port(profile, env, store)?;
    Ok(ProfileBackends {
        backends: Backends {
            cluster,
            registry,
            metrics,
        },
        kube,
    })
}

fn setup(p: &Profile, backend: Backend, message: impl Into<String>) -> SetupError {
    SetupError::Backend {
        profile: p.name.clone(),
        backend,
        message: message.into(),
    }
}

fn cluster_port(p: &Profile) -> Result<Option<Arc<KubeCluster>>, SetupError> {
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
    let cluster = KubeCluster::connect(opts).map_err(|e| setup(p, Backend::Cluster, e.message))?;
    Ok(Some(Arc::new(cluster)))
}

/// The profile's audit journal HMAC key (`MODELDECK_JOURNAL_KEY`, else
/// the keychain's `<profile>/journal-key`), if any; a keychain that cannot
/// be read is a warning (the journal is then written unsigned, which
/// `audit verify` with the key reports).
pub(crate) fn journal_key(
    p: &Profile,
    env: &BTreeMap<String, String>,
    store: SecretSource<'_>,
) -> Option<Vec<u8>> {
    secret(p, SecretKind::JournalKey, env, store, false)
        .ok()
        .flatten()
        .map(|s| s.expose().as_bytes().to_vec())
}

/// Looks up a secret, turning a keychain failure into a warning when the
/// secret is optional and into a clear error when it is required.
fn secret(
    p: &Profile,
    kind: SecretKind,
    env: &BTreeMap<String, String>,
    store: SecretSource<'_>,
    required: bool,
) -> Result<Option<Secret>, SetupError> {
    if let Some(v) = env.get(kind.env_var()).filter(|v| !v.is_empty()) {
        return Ok(Some(Secret::new(v.clone())));
    }
    let s = store();
    match lookup(Some(s.as_ref()), &p.name, kind, env) {
        Ok(v) => Ok(v),
        Err(e) if required => Err(SetupError::Config {
            message: format!(
                "profile \"{}\": the {} is needed and {e}; set {} instead, or fix the keychain",
                p.name,
                kind.account(),
                kind.env_var()
            ),
        }),
        Err(e) => {
            tracing::warn!(profile = %p.name, secret = kind.account(), "{e}");
            Ok(None)
        }
    }
}

fn registry_port(
    p: &Profile,
    env: &BTreeMap<String, String>,
    store: SecretSource<'_>,
) -> Result<Arc<dyn Registry>, SetupError> {
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
    let bad = |e: String| setup(p, Backend::Registry, e);
    let mut cfg = MlflowConfig::new(url, auth).map_err(|e| bad(e.to_string()))?;
    cfg.insecure_tls = p.registry.insecure_tls;
    if let Some(secs) = p.registry.timeout_secs {
        cfg.timeout = Duration::from_secs(secs.max(1));
    }
    cfg.ca_cert_path = p.registry.ca_cert_path.clone();
    // MLflow's own variables (cert path, timeout, retries) win over the profile.
    cfg.apply_env(env).map_err(|e| bad(e.to_string()))?;
    let client = MlflowClient::new(cfg).map_err(|e| bad(e.message))?;
    Ok(Arc::new(MlflowRegistry::new(client)))
}

fn metrics_port(
    p: &Profile,
    env: &BTreeMap<String, String>,
    store: SecretSource<'_>,
) -> Result<Arc<dyn Metrics>, SetupError> {
    use modeldeck_prometheus::{ClientConfig, PromClient, PrometheusMetrics, PromqlTemplates};
    if p.metrics.url.is_none() {
        return Ok(Arc::new(NotConfigured::new(
            Backend::Metrics,
            format!(
                "no metrics URL (set [profiles.{}.metrics] url, or PROMETHEUS_URL)",
                p.name
            ),
        )));
    }
    let bad = |e: String| setup(p, Backend::Metrics, e);
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
    Ok(Arc::new(prom))
}
