//! Turning what the user typed into registry objects: a model name (with a
//! "did you mean"), and a version reference that may be a number, `v7`, or
//! an alias such as `champion`.

use crate::failure::{Failure, closest, registry_not_found};
use modeldeck_core::Console;
use modeldeck_core::domain::{ModelVersion, RegisteredModel};

/// Reads the registry and returns the model named `name`.
///
/// Errors: the registry's own error (exit 4) if it cannot be read; a
/// `not_found` naming the closest model (exit 3) if there is no such model.
pub async fn require_model(console: &Console, name: &str) -> Result<RegisteredModel, Failure> {
    console.refresh_registry().await;
    let snap = console.snapshot();
    if let Some(e) = &snap.registry.error {
        return Err(Failure::Backend(e.clone()));
    }
    match snap.model(name) {
        Some(m) => Ok(m.clone()),
        None => Err(registry_not_found(
            format!("model \"{name}\""),
            name,
            snap.models.iter().map(|m| m.name.as_str()),
        )),
    }
}

/// Resolves `wanted` (`7`, `v7` or an alias name) to a version of `model`
/// among `versions`.
///
/// Errors: `not_found` (exit 3) naming the closest version or alias, or
/// listing what exists.
pub fn resolve_version(
    model: &RegisteredModel,
    versions: &[ModelVersion],
    wanted: &str,
) -> Result<String, Failure> {
    let trimmed = wanted.trim();
    let numeric = trimmed
        .strip_prefix(['v', 'V'])
        .filter(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or(trimmed);
    if versions.iter().any(|v| v.version == numeric) {
        return Ok(numeric.to_string());
    }
    if let Some(v) = model.aliases.get(trimmed) {
        return Ok(v.clone());
    }
    let known: Vec<&str> = model
        .aliases
        .keys()
        .map(String::as_str)
        .chain(versions.iter().map(|v| v.version.as_str()))
        .collect();
    let is_number = numeric.chars().all(|c| c.is_ascii_digit());
    let what = if is_number {
        format!("version \"{numeric}\" of model \"{}\"", model.name)
    } else {
        format!("version or alias \"{trimmed}\" of model \"{}\"", model.name)
    };
    if !is_number && closest(trimmed, known.iter().copied()).is_some() {
        return Err(registry_not_found(what, trimmed, known));
    }
    Err(Failure::Backend(modeldeck_core::BackendError::not_found(
        modeldeck_core::error::Backend::Registry,
        format!("{what} not found ({})", inventory(model, versions)),
    )))
}

/// "versions 1-7; aliases champion, challenger" for error messages.
fn inventory(model: &RegisteredModel, versions: &[ModelVersion]) -> String {
    let mut nums: Vec<u64> = versions.iter().map(ModelVersion::number).collect();
    nums.sort_unstable();
    let vs = match (nums.first(), nums.last()) {
        (None, _) | (_, None) => "no versions".to_string(),
        (Some(a), Some(b)) if a == b => format!("version {a}"),
        (Some(a), Some(b)) if (b - a + 1) as usize == nums.len() => format!("versions {a}-{b}"),
        _ => format!(
            "versions {}",
            nums.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if model.aliases.is_empty() {
        vs
    } else {
        let aliases: Vec<&str> = model.aliases.keys().map(String::as_str).collect();
        format!("{vs}; aliases {}", aliases.join(", "))
    }
}
