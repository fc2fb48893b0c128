//! Downloading small artifacts (JSON reference profiles and the like)
//! through the tracking server, never from storage directly:
//!
//! | artifact root | route used |
//! |---|---|
//! | `mlflow-artifacts:/<p>` (server proxies artifacts, the default since 2.x) | `GET /api/2.0/mlflow-artifacts/artifacts/<p>/<path>` (REST) |
//! | `file://` or a plain path (server-local store) | `GET /get-artifact?run_uuid=..&path=..` or `GET /model-versions/get-artifact?name=..&version=..&path=..` (the UI's routes; the server reads its own disk) |
//! | `runs:/<run>/<sub>` (a version's download URI) | resolved through the run's artifact root |
//! | `s3://`, `gs://`, `wasbs://`, `models:/`... | `unsupported`: needs direct storage credentials |
//!
//! Checked against MLflow 3.17.2: the proxy route and both UI routes serve
//! files; `model-versions/get-artifact` fails (500) for `runs:/` sources,
//! hence the resolution through the run. Bodies obey the size cap.
//!
//! Uploads ([`MlflowClient::upload_artifact`]) go through the proxy only
//! (`PUT /api/2.0/mlflow-artifacts/artifacts/<p>/<path>`, the bytes as the
//! body): a server-local or object store is written by clients directly,
//! which Modeldeck does not do.

use crate::client::MlflowClient;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_http::redact_url;
use serde::de::DeserializeOwned;
use url::Url;

/// Where an artifact root says the files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactRoot {
    /// Served by the tracking server's artifact proxy; the path under it.
    Proxied(String),
    /// On the server's own disk.
    ServerLocal,
    /// Inside a run's artifacts: run id and sub-path.
    Run(String, String),
    /// Elsewhere (object storage...): the scheme.
    Other(String),
}

impl ArtifactRoot {
    /// Classifies an artifact URI. `base` is the tracking server root: a
    /// `mlflow-artifacts://host:port/...` URI naming another server is `Other`.
    pub fn classify(uri: &str, base: &Url) -> ArtifactRoot {
        if let Some(rest) = uri.strip_prefix("runs:/") {
            let rest = rest.trim_start_matches('/');
            let (run, sub) = rest.split_once('/').unwrap_or((rest, ""));
            return ArtifactRoot::Run(run.to_string(), sub.trim_matches('/').to_string());
        }
        if uri.starts_with('/') {
            return ArtifactRoot::ServerLocal;
        }
        let Ok(u) = Url::parse(uri) else {
            return ArtifactRoot::Other(uri.split(':').next().unwrap_or("").to_string());
        };
        match u.scheme() {
            "file" => ArtifactRoot::ServerLocal,
            "mlflow-artifacts" => {
                let same_server = match u.host_str() {
                    None => true,
                    Some(h) => {
                        Some(h) == base.host_str()
                            && (u.port().is_none() || u.port() == base.port_or_known_default())
                    }
                };
                if same_server {
                    ArtifactRoot::Proxied(u.path().trim_matches('/').to_string())
                } else {
                    ArtifactRoot::Other(format!(
                        "mlflow-artifacts on another server ({h})",
                        h = u.host_str().unwrap_or("")
                    ))
                }
            }
            s => ArtifactRoot::Other(s.to_string()),
        }
    }
}

/// Checks a relative artifact path: no absolute paths, no `..`, not empty.
pub fn check_artifact_path(path: &str) -> PortResult<Vec<&str>> {
    let bad = |why: &str| {
        BackendError::new(
            Backend::Registry,
            ErrorCode::InvalidRequest,
            format!("artifact path {path:?}: {why}"),
        )
    };
    if path.starts_with('/') || path.contains('\\') {
        return Err(bad("must be relative, with / separators"));
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() {
        return Err(bad("is empty"));
    }
    if parts.contains(&"..") {
        return Err(bad("must not contain .."));
    }
    Ok(parts)
}

impl MlflowClient {
    /// The bytes of `path` inside the artifacts of run `run_id`.
    pub async fn download_run_artifact(&self, run_id: &str, path: &str) -> PortResult<Vec<u8>> {
        check_artifact_path(path)?;
        let run = self.get_run(run_id).await?;
        let root = run.info.artifact_uri.unwrap_or_default();
        match ArtifactRoot::classify(&root, &self.t.cfg.base_url) {
            ArtifactRoot::Proxied(p) => self.download_proxied(&p, path).await,
            ArtifactRoot::ServerLocal => {
                let url = self
                    .t
                    .url("get-artifact", &[("run_uuid", run_id), ("path", path)])?;
                Ok(self.t.get_bytes(&url).await?)
            }
            ArtifactRoot::Run(..) | ArtifactRoot::Other(_) => Err(unsupported(&root, run_id)),
        }
    }

    /// The bytes of `path` inside the files of model version `name`/`version`.
    pub async fn download_version_artifact(
        &self,
        name: &str,
        version: &str,
        path: &str,
    ) -> PortResult<Vec<u8>> {
        check_artifact_path(path)?;
        let uri = self.get_download_uri(name, version).await?;
        match ArtifactRoot::classify(&uri, &self.t.cfg.base_url) {
            ArtifactRoot::Proxied(p) => self.download_proxied(&p, path).await,
            ArtifactRoot::Run(run, sub) => {
                let full = if sub.is_empty() {
                    path.to_string()
                } else {
                    format!("{sub}/{path}")
                };
                self.download_run_artifact(&run, &full).await
            }
            ArtifactRoot::ServerLocal => {
                let q = [("name", name), ("version", version), ("path", path)];
                let url = self.t.url("model-versions/get-artifact", &q)?;
                Ok(self.t.get_bytes(&url).await?)
            }
            ArtifactRoot::Other(_) => Err(unsupported(&uri, &format!("{name}/{version}"))),
        }
    }

    /// A run artifact decoded as JSON.
    pub async fn download_run_json<T: DeserializeOwned>(
        &self,
        run_id: &str,
        path: &str,
    ) -> PortResult<T> {
        let bytes = self.download_run_artifact(run_id, path).await?;
        decode_artifact(&bytes, path)
    }

    /// A model-version artifact decoded as JSON.
    pub async fn download_version_json<T: DeserializeOwned>(
        &self,
        name: &str,
        version: &str,
        path: &str,
    ) -> PortResult<T> {
        let bytes = self.download_version_artifact(name, version, path).await?;
        decode_artifact(&bytes, path)
    }

    /// Uploads `bytes` as `path` inside the artifacts of run `run_id`,
    /// through the tracking server's artifact proxy (an existing file is
    /// replaced). Runs whose artifacts the server does not proxy are
    /// `unsupported`.
    pub async fn upload_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> PortResult<()> {
        check_artifact_path(path)?;
        let run = self.get_run(run_id).await?;
        let root = run.info.artifact_uri.unwrap_or_default();
        match ArtifactRoot::classify(&root, &self.t.cfg.base_url) {
            ArtifactRoot::Proxied(p) => {
                let url = self.proxy_url(&p, path)?;
                tracing::debug!(url = %redact_url(&url), bytes = bytes.len(), "artifact upload via proxy");
                Ok(self.t.put_bytes(&url, bytes).await?)
            }
            _ => {
                let scheme = root.split(':').next().unwrap_or("");
                Err(BackendError::new(
                    Backend::Registry,
                    ErrorCode::Unsupported,
                    format!(
                        "artifacts of run {run_id} live at a {scheme:?} URI the tracking server \
                         does not proxy; uploads need a server started with artifact proxying \
                         (mlflow-artifacts:, the default with --artifacts-destination)"
                    ),
                ))
            }
        }
    }

    fn proxy_url(&self, root: &str, path: &str) -> PortResult<Url> {
        let mut url = self.t.url("api/2.0/mlflow-artifacts/artifacts/", &[])?;
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty();
            for s in root
                .split('/')
                .chain(path.split('/'))
                .filter(|s| !s.is_empty() && *s != ".")
            {
                segs.push(s);
            }
        }
        Ok(url)
    }

    async fn download_proxied(&self, root: &str, path: &str) -> PortResult<Vec<u8>> {
        let url = self.proxy_url(root, path)?;
        tracing::debug!(url = %redact_url(&url), "artifact via proxy");
        Ok(self.t.get_bytes(&url).await?)
    }
}

fn unsupported(uri: &str, owner: &str) -> BackendError {
    let scheme = uri.split(':').next().unwrap_or("");
    BackendError::new(
        Backend::Registry,
        ErrorCode::Unsupported,
        format!(
            "artifacts of {owner} live at a {scheme:?} URI the tracking server does not serve; \
             only mlflow-artifacts: (proxied) and server-local file: stores can be downloaded"
        ),
    )
}

fn decode_artifact<T: DeserializeOwned>(bytes: &[u8], path: &str) -> PortResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        BackendError::new(
            Backend::Registry,
            ErrorCode::MalformedResponse,
            format!("artifact {path:?} is not the expected JSON: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_roots() {
        let base = Url::parse("http://127.0.0.1:5000/").unwrap();
        let c = |s| ArtifactRoot::classify(s, &base);
        assert_eq!(
            c("mlflow-artifacts:/1/abc/artifacts"),
            ArtifactRoot::Proxied("1/abc/artifacts".into())
        );
        assert_eq!(
            c("mlflow-artifacts://127.0.0.1:5000/1/x"),
            ArtifactRoot::Proxied("1/x".into())
        );
        assert!(matches!(
            c("mlflow-artifacts://other:5000/1/x"),
            ArtifactRoot::Other(_)
        ));
        assert_eq!(c("file:///tmp/a"), ArtifactRoot::ServerLocal);
        assert_eq!(c("/srv/mlruns/1/a"), ArtifactRoot::ServerLocal);
        assert_eq!(
            c("runs:/abc/model"),
            ArtifactRoot::Run("abc".into(), "model".into())
        );
        assert_eq!(c("runs:/abc"), ArtifactRoot::Run("abc".into(), "".into()));
        assert_eq!(c("s3://bucket/x"), ArtifactRoot::Other("s3".into()));
        assert_eq!(c("models:/m-123"), ArtifactRoot::Other("models".into()));
    }

    #[test]
    fn rejects_escaping_paths() {
        assert!(check_artifact_path("ref/profile.json").is_ok());
        for p in ["", "/etc/passwd", "../x", "a/../../b", "a\\b"] {
            assert_eq!(
                check_artifact_path(p).unwrap_err().code,
                ErrorCode::InvalidRequest,
                "{p}"
            );
        }
    }
}
