//! How the adapter is configured: which kubeconfig and contexts, which
//! namespaces, the binding convention's names, and the time budgets.

use std::path::PathBuf;
use std::time::Duration;

/// The names of the binding convention (all configurable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingConfig {
    /// Label naming the registered model (`modeldeck.io/model`); only
    /// workloads carrying it are watched.
    pub model_label: String,
    /// Pod-template annotation with the served version (`modeldeck.io/model-version`);
    /// on an InferenceService, the stable version during a canary.
    pub version_annotation: String,
    /// Container env with the version (`MODEL_VERSION`).
    pub version_env: String,
    /// Container env with the model URI (`MODEL_URI`).
    pub uri_env: String,
    /// URI prefix of registry model URIs (`models:/`, as in `models:/<name>/<version>`).
    pub uri_prefix: String,
    /// Label that marks a Deployment as a stream consumer (`modeldeck.io/kind`)...
    pub kind_label: String,
    /// ...when it has this value (`stream`).
    pub stream_value: String,
}

impl Default for BindingConfig {
    fn default() -> Self {
        BindingConfig {
            model_label: "modeldeck.io/model".into(),
            version_annotation: "modeldeck.io/model-version".into(),
            version_env: "MODEL_VERSION".into(),
            uri_env: "MODEL_URI".into(),
            uri_prefix: "models:/".into(),
            kind_label: "modeldeck.io/kind".into(),
            stream_value: "stream".into(),
        }
    }
}

impl BindingConfig {
    /// `models:/<model>/<version>`.
    pub fn model_uri(&self, model: &str, version: &str) -> String {
        format!("{}{model}/{version}", self.uri_prefix)
    }

    /// `(model, version)` of a registry model URI, if it is one.
    pub fn parse_uri<'a>(&self, uri: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = uri.strip_prefix(self.uri_prefix.as_str())?;
        let (model, version) = rest.rsplit_once('/')?;
        (!model.is_empty() && !version.is_empty()).then_some((model, version))
    }
}

/// Which kubeconfig contexts to watch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Contexts {
    /// The kubeconfig's current context.
    #[default]
    Current,
    /// Every context in the kubeconfig.
    All,
    /// These contexts, by name.
    Named(Vec<String>),
}

/// Options of [`crate::KubeCluster`].
#[derive(Debug, Clone)]
pub struct KubeOptions {
    /// Kubeconfig file; `None` reads `$KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// Contexts to watch.
    pub contexts: Contexts,
    /// Namespaces to watch in every context; `None` for all namespaces.
    pub namespaces: Option<Vec<String>>,
    /// Binding names.
    pub binding: BindingConfig,
    /// Budget of every user-initiated call (reads of events and logs,
    /// patches, reviews, rollbacks).
    pub call_timeout: Duration,
    /// TCP connect timeout of every client.
    pub connect_timeout: Duration,
    /// Watch KServe InferenceServices where the API group exists.
    pub inference_services: bool,
    /// Most Events returned by `events`.
    pub max_events: usize,
    /// Largest answer body read (lists, gets, discovery); watches and
    /// followed logs are streams and not capped. Past it: `too_large`.
    pub max_body_bytes: usize,
}

impl Default for KubeOptions {
    fn default() -> Self {
        KubeOptions {
            kubeconfig: None,
            contexts: Contexts::Current,
            namespaces: None,
            binding: BindingConfig::default(),
            call_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            inference_services: true,
            max_events: 200,
            max_body_bytes: crate::cap::DEFAULT_MAX_BODY_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_uris() {
        let b = BindingConfig::default();
        assert_eq!(b.model_uri("fraud", "7"), "models:/fraud/7");
        assert_eq!(b.parse_uri("models:/fraud/7"), Some(("fraud", "7")));
        assert_eq!(
            b.parse_uri("models:/team/fraud/7"),
            Some(("team/fraud", "7"))
        );
        assert_eq!(b.parse_uri("s3://bucket/fraud/7"), None);
        assert_eq!(b.parse_uri("models:/fraud"), None);
    }
}
