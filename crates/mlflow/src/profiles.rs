//! Reference profiles (issue 10) as run artifacts: a model version's tag
//! [`PROFILE_TAG`] holds the artifact path, relative to the version's run
//! (normally [`PROFILE_ARTIFACT`]); the JSON document is read through the
//! tracking server like any other small artifact (the artifact proxy for
//! `mlflow-artifacts:` runs, the server's own route for a server-local
//! store), under the client's size cap, then parsed and validated.
//!
//! The tag is untrusted: an absolute path, a `..` segment or a backslash
//! is refused before any request is made. A document that does not parse
//! or fails [`ReferenceProfile::validate`] is `malformed_response`, naming
//! the model, the version, the run and the problem.

use crate::artifacts::check_artifact_path;
use crate::registry::MlflowRegistry;
use modeldeck_core::drift::{PROFILE_ARTIFACT, PROFILE_TAG, ReferenceProfile};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};

fn malformed(model: &str, version: &str, message: String) -> BackendError {
    BackendError::new(
        Backend::Registry,
        ErrorCode::MalformedResponse,
        format!("reference profile of {model} version {version}: {message}"),
    )
}

/// The same error with the model and version in front of its message.
fn about(model: &str, version: &str, mut e: BackendError) -> BackendError {
    e.message = format!(
        "reference profile of {model} version {version}: {}",
        e.message
    );
    e
}

/// Parses and validates a profile document.
pub fn parse_profile(bytes: &[u8]) -> Result<ReferenceProfile, String> {
    let p: ReferenceProfile = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a reference profile document: {e}"))?;
    p.validate()?;
    Ok(p)
}

impl MlflowRegistry {
    /// The reference profile of `model` `version`: `None` without the
    /// [`PROFILE_TAG`] tag; otherwise the artifact it points to, parsed and
    /// validated.
    pub async fn read_reference_profile(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<Option<ReferenceProfile>> {
        let v = self.client().get_version(model, version).await?;
        let Some(tag) = v.tags.iter().find(|t| t.key == PROFILE_TAG) else {
            return Ok(None);
        };
        let path = tag.value.trim();
        if let Err(e) = check_artifact_path(path) {
            return Err(malformed(
                model,
                version,
                format!("tag {PROFILE_TAG} is refused: {}", e.message),
            ));
        }
        let Some(run) = v.run_id.as_deref().filter(|r| !r.is_empty()) else {
            return Err(BackendError::new(
                Backend::Registry,
                ErrorCode::NotFound,
                format!(
                    "reference profile of {model} version {version}: the version has a \
                     {PROFILE_TAG} tag but no run to read {path:?} from"
                ),
            ));
        };
        let bytes = self
            .client()
            .download_run_artifact(run, path)
            .await
            .map_err(|e| about(model, version, e))?;
        parse_profile(&bytes).map(Some).map_err(|m| {
            malformed(
                model,
                version,
                format!("artifact {path:?} of run {run}: {m}"),
            )
        })
    }

    /// Uploads `profile` to the version's run at [`PROFILE_ARTIFACT`]
    /// (through the artifact proxy) and points the [`PROFILE_TAG`] tag at
    /// it. The profile is validated first; a version without a run, or a
    /// run whose artifacts the server does not proxy, is refused. Returns
    /// the artifact path.
    pub async fn log_reference_profile(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
    ) -> PortResult<String> {
        profile.validate().map_err(|m| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::InvalidRequest,
                format!("reference profile for {model} version {version} is invalid: {m}"),
            )
        })?;
        let bytes = serde_json::to_vec_pretty(profile).map_err(|e| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::InvalidRequest,
                format!("reference profile for {model} version {version}: {e}"),
            )
        })?;
        let v = self.client().get_version(model, version).await?;
        let Some(run) = v.run_id.as_deref().filter(|r| !r.is_empty()) else {
            return Err(BackendError::new(
                Backend::Registry,
                ErrorCode::InvalidRequest,
                format!(
                    "{model} version {version} has no run to store its reference profile in; \
                     register the version from a run (runs:/<run>/...)"
                ),
            ));
        };
        self.client()
            .upload_artifact(run, PROFILE_ARTIFACT, &bytes)
            .await
            .map_err(|e| about(model, version, e))?;
        self.client()
            .set_version_tag(model, version, PROFILE_TAG, PROFILE_ARTIFACT)
            .await?;
        Ok(PROFILE_ARTIFACT.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_profiles_and_names_the_problem() {
        let good = br#"{"schema":1,"created_at":"2026-01-01T00:00:00Z","rows":10,
            "features":[{"name":"a","kind":"numeric","edges":[1.0,2.0],"counts":[1,2,3]}]}"#;
        assert_eq!(parse_profile(good).unwrap().features[0].name, "a");
        let bad_counts = br#"{"schema":1,"created_at":"x","rows":10,
            "features":[{"name":"a","kind":"numeric","edges":[1.0,2.0],"counts":[1,2]}]}"#;
        let e = parse_profile(bad_counts).unwrap_err();
        assert!(e.contains("\"a\"") && e.contains("3 counts"), "{e}");
        let e =
            parse_profile(br#"{"schema":2,"created_at":"x","rows":1,"features":[]}"#).unwrap_err();
        assert!(e.contains("schema 2"), "{e}");
        let e = parse_profile(b"not json").unwrap_err();
        assert!(e.starts_with("not a reference profile document"), "{e}");
    }
}
