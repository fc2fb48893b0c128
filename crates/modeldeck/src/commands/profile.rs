//! `modeldeck profile build`: a reference profile from training data
//! (CSV or Parquet, read by [`input`]), built by the core
//! ([`modeldeck_core::drift::build`]), written as JSON and/or logged to a
//! model version through the session's registry
//! ([`Registry::log_reference_profile`](modeldeck_core::ports::Registry)).
//!
//! Column names are untrusted: the profile stores them as they are; the
//! summary table and every message show them escaped.

#[path = "profile_input.rs"]
pub mod input;

use crate::cli::{GlobalArgs, ProfileBuildArgs, ProfileCommand};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Table};
use crate::session;
use anyhow::anyhow;
use input::{ReadColumn, Request, Role};
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::build::{BuildOptions, ProfileParts, assemble, digest_reader};
use modeldeck_core::drift::{Distribution, FeatureProfile, ReferenceProfile};
use serde::Serialize;

/// The `profile build` document (the summary; the profile is the file).
#[derive(Debug, Serialize)]
pub struct BuildDoc {
    /// The source file.
    pub from: String,
    /// `sha256:<hex>` of the source file.
    pub source_digest: String,
    /// Data rows read.
    pub rows: u64,
    /// Where the profile was written (`null` with only `--log-to`).
    pub out: Option<String>,
    /// Where it was logged (`null` without `--log-to`).
    pub logged: Option<LoggedDoc>,
    /// One entry per profiled column.
    pub columns: Vec<ColumnDoc>,
    /// Remarks (why a column is categorical, what was skipped).
    pub notes: Vec<String>,
}

/// Where a profile was logged.
#[derive(Debug, Serialize)]
pub struct LoggedDoc {
    /// Registered model.
    pub model: String,
    /// Version.
    pub version: String,
    /// The artifact path the version's tag points to.
    pub artifact: String,
}

/// One profiled column.
#[derive(Debug, Serialize)]
pub struct ColumnDoc {
    /// Column name (raw).
    pub name: String,
    /// `feature`, `prediction` or `label`.
    pub role: &'static str,
    /// `numeric` or `categorical`.
    pub kind: &'static str,
    /// Numeric: bins including underflow and overflow; categorical: categories kept.
    pub bins: usize,
    /// Missing values.
    pub missing: u64,
    /// Numeric: smallest value.
    pub min: Option<f64>,
    /// Numeric: largest value.
    pub max: Option<f64>,
}

/// Runs `profile ...`.
pub async fn run(cmd: &ProfileCommand, global: &GlobalArgs) -> Result<Exit, Failure> {
    match cmd {
        ProfileCommand::Build(args) => build(args, global).await,
    }
}

/// `model/version` of `--log-to` (the model may hold slashes; the version
/// is after the last one).
fn split_target(s: &str) -> Result<(String, String), Failure> {
    match s.rsplit_once('/') {
        Some((m, v)) if !m.trim().is_empty() && !v.trim().is_empty() => {
            Ok((m.to_string(), v.to_string()))
        }
        _ => Err(Failure::Usage(format!(
            "--log-to {s:?}: expected <model>/<version>, e.g. fraud-detector/7"
        ))),
    }
}

/// Reads the source and builds the profile (no backend involved).
pub fn build_profile(
    args: &ProfileBuildArgs,
) -> Result<(ReferenceProfile, u64, String, Vec<String>), Failure> {
    let opts = BuildOptions {
        bins: args.bins,
        ..BuildOptions::default()
    };
    opts.validate()
        .map_err(|m| Failure::Usage(format!("--bins: {m}")))?;
    let req = Request {
        features: args.features.clone(),
        categorical: args.categorical.clone(),
        prediction: args.prediction.clone(),
        label: args.label.clone(),
    };
    let data = input::read(&args.from, &req).map_err(|m| Failure::Other(anyhow!(m)))?;
    let from = format!("{:?}", args.from.display().to_string());
    let digest = std::fs::File::open(&args.from)
        .and_then(digest_reader)
        .map_err(|e| Failure::Other(anyhow!("cannot read {from}: {e}")))?;
    let mut features = Vec::new();
    let (mut prediction, mut label) = (None, None);
    for ReadColumn { name, role, column } in data.columns {
        let f = column
            .finish(&name, &opts)
            .map_err(|m| Failure::Other(anyhow!("{from}: {m}")))?;
        match role {
            Role::Feature => features.push(f),
            Role::Prediction => prediction = Some(f),
            Role::Label => label = Some(f),
        }
    }
    let profile = assemble(ProfileParts {
        rows: data.rows,
        source_digest: Some(digest.clone()),
        created_at: Timestamp::now(),
        features,
        prediction,
        label,
    })
    .map_err(|m| Failure::Other(anyhow!("{from}: the profile is invalid: {m}")))?;
    Ok((profile, data.rows, digest, data.notes))
}

async fn build(args: &ProfileBuildArgs, global: &GlobalArgs) -> Result<Exit, Failure> {
    let target = args.log_to.as_deref().map(split_target).transpose()?;
    // With --log-to, the registry is asked first: an unknown model or
    // version (or no registry) fails before a large file is read.
    let session = match &target {
        Some((model, version)) => {
            let s = session::open(global).await?;
            let registry = s.console.backends().registry.clone();
            if let Err(e) = registry.get_version(model, version).await {
                s.close()?;
                return Err(e.into());
            }
            Some(s)
        }
        None => None,
    };
    let built = build_profile(args).and_then(|b| {
        if let Some(out) = &args.out {
            write_profile(out, &b.0)?;
        }
        Ok(b)
    });
    let (profile, rows, digest, notes) = match built {
        Ok(b) => b,
        Err(e) => {
            if let Some(s) = session {
                s.close()?;
            }
            return Err(e);
        }
    };
    let logged = match (target, session) {
        (Some((model, version)), Some(s)) => {
            let registry = s.console.backends().registry.clone();
            let result = registry
                .log_reference_profile(&model, &version, &profile)
                .await;
            s.close()?;
            let artifact = result?;
            Some(LoggedDoc {
                model,
                version,
                artifact,
            })
        }
        _ => None,
    };
    let doc = BuildDoc {
        from: args.from.display().to_string(),
        source_digest: digest,
        rows,
        out: args.out.as_ref().map(|p| p.display().to_string()),
        logged,
        columns: column_docs(&profile),
        notes,
    };
    Printer::new(args.output).print(&doc, |color| table(&doc, color))?;
    Ok(Exit::Ok)
}

fn write_profile(out: &std::path::Path, profile: &ReferenceProfile) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(profile)
        .map_err(|e| Failure::Other(anyhow!("encoding the profile: {e}")))?;
    text.push('\n');
    std::fs::write(out, text)
        .map_err(|e| Failure::Other(anyhow!("cannot write {:?}: {e}", out.display().to_string())))
}

fn column_docs(p: &ReferenceProfile) -> Vec<ColumnDoc> {
    let doc = |f: &FeatureProfile, role| {
        let (kind, bins) = match &f.dist {
            Distribution::Numeric { counts, .. } => ("numeric", counts.len()),
            Distribution::Categorical { counts } => ("categorical", counts.len()),
        };
        ColumnDoc {
            name: f.name.clone(),
            role,
            kind,
            bins,
            missing: f.missing,
            min: f.stats.as_ref().map(|s| s.min),
            max: f.stats.as_ref().map(|s| s.max),
        }
    };
    p.features
        .iter()
        .map(|f| doc(f, "feature"))
        .chain(p.prediction.iter().map(|f| doc(f, "prediction")))
        .chain(p.label.iter().map(|f| doc(f, "label")))
        .collect()
}

fn table(doc: &BuildDoc, color: bool) -> String {
    let mut t = Table::new(&[
        "COLUMN", "ROLE", "KIND", ">BINS", ">MISSING", ">MIN", ">MAX",
    ]);
    let num = |v: Option<f64>| Cell::opt(v, |x| modeldeck_core::drift::evaluate::compact(x, 6));
    for c in &doc.columns {
        t.row(vec![
            Cell::clipped(&c.name, 40),
            Cell::new(c.role),
            Cell::new(c.kind),
            Cell::new(c.bins.to_string()),
            Cell::new(c.missing.to_string()),
            num(c.min),
            num(c.max),
        ]);
    }
    let mut out = t.render(color);
    for n in &doc.notes {
        out.push_str(&format!("note: {}\n", modeldeck_core::text::clean(n)));
    }
    let source = modeldeck_core::text::clean(&doc.from);
    out.push_str(&format!(
        "{} rows of {source} ({})\n",
        doc.rows, doc.source_digest
    ));
    if let Some(o) = &doc.out {
        out.push_str(&format!("wrote {}\n", modeldeck_core::text::clean(o)));
    }
    if let Some(l) = &doc.logged {
        out.push_str(&format!(
            "logged to {} version {} ({})\n",
            modeldeck_core::text::clean(&l.model),
            modeldeck_core::text::clean(&l.version),
            l.artifact
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_targets_split_at_the_last_slash() {
        assert_eq!(
            split_target("team/fraud/7").unwrap(),
            ("team/fraud".to_string(), "7".to_string())
        );
        for bad in ["fraud", "fraud/", "/7", " / "] {
            assert!(matches!(split_target(bad), Err(Failure::Usage(_))), "{bad}");
        }
    }
}
