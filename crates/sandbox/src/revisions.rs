//! Rollout history of the simulated workloads (the `Cluster::revisions`
//! port): what `kubectl rollout history` would list had the world run on
//! Kubernetes, drawn from the world's own record.
//!
//! A workload's pod template is its served version plus its container
//! images. Its history is, in time order: the first revision when it was
//! created (serving the version it served at the start, with the model
//! server image), one per deploy seeded from the scenario (`deploys`: an
//! image replacing the container image of the same repository, or added as
//! a new container), then one per change of the served version made in the
//! sandbox (promotions, rollbacks: `rollout::start`).
//!
//! - A Deployment (or stream consumer) behaves as Kubernetes' deployment
//!   controller: a template seen before reuses its ReplicaSet, which takes
//!   the next revision number and keeps its creation time (a rollback).
//! - An InferenceService behaves as Knative: every change of the predictor
//!   (served or canary version, image) makes a new revision, numbered by
//!   generation; a traffic-only change makes none.
//! - A CronJob has no rollout history.
//!
//! Each revision's cause is the deploy's `cause` (else `deploy <image>`),
//! or `serve models:/<model>/<version>` (the change-cause the simulated API
//! server's seed writes), `canary models:/<model>/<version> at <p>%`.

use crate::world::{WorkloadState, World};
use modeldeck_core::domain::{Revision, Timestamp, WorkloadKind};
use serde::{Deserialize, Serialize};

/// Image of the model server container (the simulated API server's seed
/// runs the same one).
pub(crate) const MODEL_SERVER_IMAGE: &str = "ghcr.io/modeldeck/model-server:1.4.2";
/// Image of an InferenceService's predictor (KServe's MLflow runtime).
pub(crate) const RUNTIME_IMAGE: &str = "docker.io/seldonio/mlserver:1.6.1";
/// Most revisions answered (the newest), as the kube adapter.
pub(crate) const MAX_REVISIONS: usize = 50;
/// Most deploys a workload may list in a scenario.
const MAX_DEPLOYS: usize = 200;
const HOUR_MS: f64 = 3_600_000.0;
const DAY_MS: i64 = 86_400_000;

/// A past deploy in a scenario (`[[workloads]] deploys = [...]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeploySpec {
    /// Hours before the start.
    pub hours_ago: f64,
    /// The image deployed (`registry/repository:tag` or `@sha256:...`).
    pub image: String,
    /// Why (`kubernetes.io/change-cause`).
    pub cause: Option<String>,
}

/// A seeded deploy in the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Deploy {
    pub at: Timestamp,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// The first problem with a workload's `deploys`: (field under the
/// workload, message).
pub(crate) fn deploys_problem(
    kind: WorkloadKind,
    deploys: &[DeploySpec],
) -> Option<(String, String)> {
    if deploys.is_empty() {
        return None;
    }
    if kind.is_batch() {
        return Some((
            "deploys".into(),
            "a cron_job has no rollout history; deploys are for deployments, \
             inference services and stream consumers"
                .into(),
        ));
    }
    if deploys.len() > MAX_DEPLOYS {
        return Some((
            "deploys".into(),
            format!("{} deploys, at most {MAX_DEPLOYS}", deploys.len()),
        ));
    }
    for (j, d) in deploys.iter().enumerate() {
        let field = |f: &str| format!("deploys[{j}].{f}");
        if !(d.hours_ago.is_finite() && d.hours_ago >= 0.0) {
            return Some((
                field("hours_ago"),
                format!(
                    "{} is not a number of hours >= 0 before the start",
                    d.hours_ago
                ),
            ));
        }
        if !valid_image(&d.image) {
            return Some((
                field("image"),
                format!(
                    "{:?} is not an image reference (registry/repository:tag or \
                     repository@sha256:digest, no spaces)",
                    d.image
                ),
            ));
        }
        if let Some(c) = &d.cause
            && (c.trim().is_empty() || c.len() > 1024 || c.chars().any(char::is_control))
        {
            return Some((
                field("cause"),
                "must be one non-empty line of at most 1024 bytes".into(),
            ));
        }
    }
    None
}

/// An image reference: a repository path, then an optional `:tag` and
/// `@digest`; no spaces or control characters.
fn valid_image(s: &str) -> bool {
    let repo = repository(s);
    !s.is_empty()
        && s.len() <= 512
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !repo.is_empty()
        && !repo.starts_with('/')
        && !repo.ends_with('/')
        && !s.ends_with(':')
        && !s.ends_with('@')
}

/// The repository of an image reference (tag and digest removed).
fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or("");
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

/// The world's deploys of `specs`, oldest first, times counted back from
/// `start` (as the drift plan counts `hours_ago`).
pub(crate) fn deploys(specs: &[DeploySpec], start: Timestamp) -> Vec<Deploy> {
    let mut out: Vec<Deploy> = specs
        .iter()
        .map(|d| Deploy {
            at: start.plus_millis(-(d.hours_ago * HOUR_MS).round() as i64),
            image: d.image.clone(),
            cause: d.cause.clone(),
        })
        .collect();
    out.sort_by_key(|d| d.at);
    out
}

/// A workload's creation time, moved a day before its first deploy when
/// the drawn one came later.
pub(crate) fn created_before(drawn: Timestamp, deploys: &[Deploy]) -> Timestamp {
    match deploys.first() {
        Some(d) if d.at <= drawn => d.at.plus_millis(-DAY_MS),
        _ => drawn,
    }
}

/// `images` with `image` in place of the one of the same repository, or
/// added as a new container.
fn with_image(images: &[String], image: &str) -> Vec<String> {
    let repo = repository(image);
    let mut out = images.to_vec();
    match out.iter_mut().find(|i| repository(i) == repo) {
        Some(i) => *i = image.to_string(),
        None => out.push(image.to_string()),
    }
    out
}

struct Entry {
    number: u64,
    at: Timestamp,
    version: u32,
    images: Vec<String>,
    cause: String,
}

struct History {
    knative: bool,
    next: u64,
    entries: Vec<Entry>,
}

impl History {
    fn current(&self) -> Option<&Entry> {
        self.entries.last()
    }

    fn push(&mut self, at: Timestamp, version: u32, images: Vec<String>, cause: String) {
        let number = self.next;
        self.next += 1;
        let reused = (!self.knative)
            .then(|| {
                self.entries
                    .iter()
                    .position(|e| e.version == version && e.images == images)
            })
            .flatten();
        match reused {
            Some(i) => {
                let mut e = self.entries.remove(i);
                e.number = number;
                e.cause = cause;
                self.entries.push(e);
            }
            None => self.entries.push(Entry {
                number,
                at,
                version,
                images,
                cause,
            }),
        }
    }
}

/// The rollout history of `w`, oldest first (at most [`MAX_REVISIONS`]).
pub(crate) fn history(world: &World, w: &WorkloadState) -> Vec<Revision> {
    if w.kind.is_batch() {
        return Vec::new();
    }
    let model = world.models.get(w.model as usize);
    let name = model.map_or("", |m| m.name.as_str());
    let serve = |v: u32| format!("serve models:/{name}/{v}");
    let knative = w.kind == WorkloadKind::InferenceService;
    let base = if knative {
        RUNTIME_IMAGE
    } else {
        MODEL_SERVER_IMAGE
    };
    let changes = w.changes();
    let mut h = History {
        knative,
        next: 1,
        entries: Vec::new(),
    };
    let first = changes.first().map_or(w.served, |c| c.from);
    h.push(w.created_at, first, vec![base.to_string()], serve(first));
    // A canary live at the start: its revision came when its version did.
    let canary0 = changes.first().map_or(w.canary, |c| c.canary_before);
    let mut seeded: Vec<(Timestamp, Option<&crate::revisions::Deploy>, u32)> = Vec::new();
    if let Some(c) = canary0.filter(|c| knative && c.version != first) {
        let registered = model
            .and_then(|m| m.version(c.version))
            .map_or(w.created_at, |v| v.created_at);
        seeded.push((registered.max(w.created_at), None, c.version));
    }
    let deploys = w.extra.as_deref().map_or(&[][..], |e| e.deploys.as_slice());
    seeded.extend(deploys.iter().map(|d| (d.at, Some(d), 0)));
    seeded.sort_by_key(|(at, _, _)| *at);
    for (at, deploy, version) in seeded {
        let Some(cur) = h.current() else { continue };
        let (cur_version, cur_images) = (cur.version, cur.images.clone());
        match deploy {
            Some(d) => {
                let cause = d
                    .cause
                    .clone()
                    .unwrap_or_else(|| format!("deploy {}", d.image));
                h.push(at, cur_version, with_image(&cur_images, &d.image), cause);
            }
            None => {
                let p = canary0.map_or(0, |c| c.percent);
                let cause = format!("canary models:/{name}/{version} at {p}%");
                h.push(at, version, cur_images, cause);
            }
        }
    }
    for (i, c) in changes.iter().enumerate() {
        let Some(cur) = h.current() else { continue };
        let (cur_version, cur_images) = (cur.version, cur.images.clone());
        // The canary after this change: the next change's "before", or now.
        let canary_after = changes.get(i + 1).map_or(w.canary, |n| n.canary_before);
        let (version, cause) = match canary_after.filter(|_| knative) {
            Some(k) => (
                k.version,
                format!("canary models:/{name}/{} at {}%", k.version, k.percent),
            ),
            None => (c.to, serve(c.to)),
        };
        if version != cur_version {
            h.push(c.at, version, cur_images, cause);
        }
    }
    let mut out: Vec<Revision> = h
        .entries
        .into_iter()
        .map(|e| Revision {
            at: e.at,
            revision: e.number.to_string(),
            images: e.images,
            cause: Some(e.cause),
        })
        .collect();
    if out.len() > MAX_REVISIONS {
        out.drain(..out.len() - MAX_REVISIONS);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_ignore_tags_and_digests_not_ports() {
        assert_eq!(
            repository("registry.example.com:5000/a/b:1.2"),
            "registry.example.com:5000/a/b"
        );
        assert_eq!(
            repository("registry.example.com:5000/a/b"),
            "registry.example.com:5000/a/b"
        );
        assert_eq!(repository("b@sha256:abc"), "b");
        assert_eq!(repository("b:1@sha256:abc"), "b");
        let imgs = vec!["m:1".to_string(), "t:2.3".to_string()];
        assert_eq!(with_image(&imgs, "t:2.4"), vec!["m:1", "t:2.4"]);
        assert_eq!(with_image(&imgs, "x:1"), vec!["m:1", "t:2.3", "x:1"]);
    }

    #[test]
    fn bad_deploys_are_named() {
        let d = |h: f64, image: &str, cause: Option<&str>| DeploySpec {
            hours_ago: h,
            image: image.into(),
            cause: cause.map(String::from),
        };
        let p = |k, ds: &[DeploySpec]| deploys_problem(k, ds).map(|(f, _)| f);
        let dep = WorkloadKind::Deployment;
        assert_eq!(p(dep, &[d(1.0, "a/b:1", Some("why"))]), None);
        assert_eq!(
            p(WorkloadKind::CronJob, &[d(1.0, "a:1", None)]).as_deref(),
            Some("deploys")
        );
        assert_eq!(
            p(dep, &[d(1.0, "a:1", None), d(-1.0, "a:1", None)]).as_deref(),
            Some("deploys[1].hours_ago")
        );
        assert_eq!(
            p(dep, &[d(f64::NAN, "a:1", None)]).as_deref(),
            Some("deploys[0].hours_ago")
        );
        for bad in ["", "a b:1", "a:", "/a:1", "a@", "@sha256:x"] {
            assert_eq!(
                p(dep, &[d(1.0, bad, None)]).as_deref(),
                Some("deploys[0].image"),
                "{bad:?}"
            );
        }
        assert_eq!(
            p(dep, &[d(1.0, "a:1", Some(" "))]).as_deref(),
            Some("deploys[0].cause")
        );
        assert_eq!(
            p(dep, &[d(1.0, "a:1", Some("a\nb"))]).as_deref(),
            Some("deploys[0].cause")
        );
    }

    #[test]
    fn deploys_count_back_from_the_start_and_push_creation_back() {
        let start = Timestamp(1_000 * DAY_MS);
        let ds = deploys(
            &[
                DeploySpec {
                    hours_ago: 2.0,
                    image: "a:2".into(),
                    cause: None,
                },
                DeploySpec {
                    hours_ago: 20.0,
                    image: "a:1".into(),
                    cause: None,
                },
            ],
            start,
        );
        assert_eq!(ds[0].at, start.plus_millis(-20 * 3_600_000));
        assert_eq!(ds[1].image, "a:2");
        assert_eq!(
            created_before(start.plus_millis(-DAY_MS), &ds),
            start.plus_millis(-DAY_MS)
        );
        assert_eq!(
            created_before(start.plus_millis(-3_600_000), &ds),
            ds[0].at.plus_millis(-DAY_MS)
        );
    }
}
