//! One profile: where the cluster(s), the registry and the metrics backend
//! are, and how workloads bind to models. Serde shapes of the TOML file.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The whole settings file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Profile used when none is named.
    pub default_profile: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Everything one environment (prod, staging...) needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// Profile name (filled in from the table key).
    #[serde(skip)]
    pub name: String,
    /// Kubernetes side.
    pub cluster: ClusterSettings,
    /// Model registry side.
    pub registry: EndpointSettings,
    /// Metrics side.
    pub metrics: EndpointSettings,
    /// Workload <-> model binding names.
    pub binding: BindingSettings,
    /// Drift thresholds.
    pub drift: DriftSettings,
    /// Consumer lag thresholds of stream consumers (`[profiles.<name>.lag]`
    /// `max_seconds`, `max_messages`); a workload's own labels win over
    /// them ([`LagThresholds::resolve`](crate::domain::LagThresholds::resolve)).
    pub lag: crate::domain::LagSettings,
    /// Per-model promotion policies (glob on model name -> policy; `"*"`
    /// or `"default"` is the default), checked when the file is read and
    /// turned into a [`PolicySet`](crate::policy::PolicySet) by
    /// [`PolicySet::from_globs`](crate::policy::PolicySet::from_globs).
    pub policies: BTreeMap<String, crate::policy::Policy>,
    /// PromQL template overrides (signal name -> template), read by the
    /// Prometheus adapter.
    pub promql: BTreeMap<String, String>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            name: "default".into(),
            cluster: ClusterSettings::default(),
            registry: EndpointSettings::default(),
            metrics: EndpointSettings::default(),
            binding: BindingSettings::default(),
            drift: DriftSettings::default(),
            lag: crate::domain::LagSettings::default(),
            policies: BTreeMap::new(),
            promql: BTreeMap::new(),
        }
    }
}

/// Which clusters to watch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    /// Kubeconfig files, merged the way kubectl merges `KUBECONFIG` (the
    /// first file to name a cluster, context or user wins, and so does the
    /// first `current-context`; missing files are skipped); empty: default
    /// `$KUBECONFIG` or `~/.kube/config`. In the file, one path (a string)
    /// or a list of paths.
    #[serde(with = "one_or_many_paths")]
    pub kubeconfig: Vec<PathBuf>,
    /// Contexts to watch at once; empty = the current context.
    pub contexts: Vec<String>,
    /// Namespaces to watch; empty = all.
    pub namespaces: Vec<String>,
}

/// `kubeconfig = "a"` or `kubeconfig = ["a", "b"]`; empty items are
/// ignored, as kubectl ignores them in `KUBECONFIG`. Written back as it is
/// read: nothing, one string, or a list.
mod one_or_many_paths {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::path::PathBuf;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PathBuf),
        Many(Vec<PathBuf>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
        let paths = match Option::<OneOrMany>::deserialize(d)? {
            None => Vec::new(),
            Some(OneOrMany::One(p)) => vec![p],
            Some(OneOrMany::Many(ps)) => ps,
        };
        Ok(paths
            .into_iter()
            .filter(|p| !p.as_os_str().is_empty())
            .collect())
    }

    pub fn serialize<S: Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        match paths {
            [] => s.serialize_none(),
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }
}

/// An HTTP backend (MLflow or Prometheus). Secrets are not here: passwords
/// and tokens come from the OS keychain or the backend's own env variables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointSettings {
    /// Base URL (`http://mlflow:5000`, `http://prometheus:9090`).
    pub url: Option<String>,
    /// Basic-auth user name (the password is a secret).
    pub username: Option<String>,
    /// Skip TLS verification (discouraged; MLflow's `MLFLOW_TRACKING_INSECURE_TLS`).
    pub insecure_tls: bool,
    /// Extra PEM CA bundle to trust next to the system roots, for a server
    /// whose certificate a private CA signed (MLflow's
    /// `MLFLOW_TRACKING_SERVER_CERT_PATH` wins over it for the registry).
    pub ca_cert_path: Option<PathBuf>,
    /// Per-request timeout in seconds.
    pub timeout_secs: Option<u64>,
}

/// Names used to bind workloads to registered models (docs/architecture.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BindingSettings {
    /// Label carrying the registered model name.
    pub model_label: String,
    /// Pod-template annotation carrying the served version.
    pub version_annotation: String,
    /// Container env var carrying the version.
    pub version_env: String,
    /// Container env var carrying `models:/<name>/<version>`.
    pub uri_env: String,
}

impl Default for BindingSettings {
    fn default() -> Self {
        BindingSettings {
            model_label: "modeldeck.io/model".into(),
            version_annotation: "modeldeck.io/model-version".into(),
            version_env: "MODEL_VERSION".into(),
            uri_env: "MODEL_URI".into(),
        }
    }
}

/// PSI thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftSettings {
    /// Warning at or above.
    pub warn: f64,
    /// Alert at or above.
    pub alert: f64,
}

impl Default for DriftSettings {
    fn default() -> Self {
        DriftSettings {
            warn: crate::domain::DriftStatus::DEFAULT_WARN,
            alert: crate::domain::DriftStatus::DEFAULT_ALERT,
        }
    }
}

fn env_bool(var: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::Env {
            var: var.into(),
            message: format!("expected true/false, got {v:?}"),
        }),
    }
}

fn env_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Profile {
    /// Layers environment variables over the file's values.
    ///
    /// Ours: `MODELDECK_REGISTRY_URL`, `MODELDECK_METRICS_URL`,
    /// `MODELDECK_METRICS_USERNAME`, `MODELDECK_CONTEXTS`,
    /// `MODELDECK_NAMESPACES` (comma lists). The ecosystem's:
    /// `KUBECONFIG` (every path of the list, merged as kubectl merges
    /// them), `MLFLOW_TRACKING_URI`,
    /// `MLFLOW_TRACKING_USERNAME`, `MLFLOW_TRACKING_INSECURE_TLS`,
    /// `PROMETHEUS_URL`. Ours win over the ecosystem's.
    pub fn apply_env(&mut self, env: &BTreeMap<String, String>) -> Result<(), ConfigError> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty());
        if let Some(v) = get("KUBECONFIG") {
            let paths: Vec<PathBuf> = std::env::split_paths(v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            if !paths.is_empty() {
                self.cluster.kubeconfig = paths;
            }
        }
        if let Some(v) = get("MODELDECK_CONTEXTS") {
            self.cluster.contexts = env_list(v);
        }
        if let Some(v) = get("MODELDECK_NAMESPACES") {
            self.cluster.namespaces = env_list(v);
        }
        if let Some(v) = get("MODELDECK_REGISTRY_URL").or_else(|| get("MLFLOW_TRACKING_URI")) {
            self.registry.url = Some(v.clone());
        }
        if let Some(v) = get("MLFLOW_TRACKING_USERNAME") {
            self.registry.username = Some(v.clone());
        }
        if let Some(v) = get("MLFLOW_TRACKING_INSECURE_TLS") {
            self.registry.insecure_tls = env_bool("MLFLOW_TRACKING_INSECURE_TLS", v)?;
        }
        if let Some(v) = get("MODELDECK_METRICS_URL").or_else(|| get("PROMETHEUS_URL")) {
            self.metrics.url = Some(v.clone());
        }
        if let Some(v) = get("MODELDECK_METRICS_USERNAME") {
            self.metrics.username = Some(v.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod kubeconfig_tests {
    use super::*;

    fn cluster(toml_text: &str) -> ClusterSettings {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn one_path_or_a_list_in_the_file_and_back() {
        assert_eq!(
            cluster(r#"kubeconfig = "/k/a.yaml""#).kubeconfig,
            vec![PathBuf::from("/k/a.yaml")]
        );
        let two = cluster(r#"kubeconfig = ["/k/a.yaml", "", "/k/b.yaml"]"#);
        assert_eq!(
            two.kubeconfig,
            vec![PathBuf::from("/k/a.yaml"), PathBuf::from("/k/b.yaml")]
        );
        assert!(cluster("").kubeconfig.is_empty());
        // Written back as read: one path stays a string, none stays absent.
        let one = cluster(r#"kubeconfig = "/k/a.yaml""#);
        assert_eq!(
            toml::to_string(&one).unwrap().lines().next(),
            Some(r#"kubeconfig = "/k/a.yaml""#)
        );
        assert_eq!(cluster(&toml::to_string(&two).unwrap()), two);
        assert!(
            !toml::to_string(&cluster(""))
                .unwrap()
                .contains("kubeconfig")
        );
    }

    #[test]
    fn every_path_of_kubeconfig_is_kept_in_order() {
        let mut p = Profile::default();
        let list = std::env::join_paths(["/k/a.yaml", "", "/k/b.yaml"]).unwrap();
        let env = BTreeMap::from([(
            "KUBECONFIG".to_string(),
            list.to_string_lossy().into_owned(),
        )]);
        p.apply_env(&env).unwrap();
        assert_eq!(
            p.cluster.kubeconfig,
            vec![PathBuf::from("/k/a.yaml"), PathBuf::from("/k/b.yaml")]
        );
    }
}
