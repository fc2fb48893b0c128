//! Work the UI asks of the console that may touch the network: listing a
//! model's versions, reading runs, comparing two versions, reading a
//! workload's events. Each request carries a ticket (a generation) and its
//! target; the answer comes back as an [`crate::Action::JobDone`] with both,
//! and a view keeps an answer only if it is the one it is waiting for.
//! Promotion work (see [`crate::promo_jobs`]) needs the promotion service;
//! without one it answers that promotions are not configured.

use futures::future::join_all;
use modeldeck_core::Console;
use modeldeck_core::card::CardField;
use modeldeck_core::chart::Marker;
use modeldeck_core::compare::Comparison;
use modeldeck_core::compare_curves::CurvePair;
use modeldeck_core::compare_evidence::CompareEvidence;
use modeldeck_core::console::{DriftPoint, DriftView, FairnessView, HealthView, RetrainOutcome};
use modeldeck_core::domain::{
    ClusterEvent, ModelVersion, RetrainRun, RunData, Timestamp, WorkloadRef,
};
use modeldeck_core::drift::ReferenceProfile;
use modeldeck_core::error::{ErrorCode, PortResult};
use modeldeck_core::report::ErrorReport;
use modeldeck_core::version_metrics::{self, MetricHistory};
use modeldeck_promotion::{Promotions, Review};

pub use crate::promo_jobs::{Act, Acted, PromoLists, PromoRow, TargetActivity};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many versions get their run read for the Versions table's metrics
/// column: the newest ones, which are the ones on screen first.
pub const RUNS_PER_MODEL: usize = 12;

/// A request for async work.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Every version of a model.
    Versions {
        /// Registered model.
        model: String,
    },
    /// The runs behind some versions (their metrics).
    Runs {
        /// Registered model.
        model: String,
        /// Versions to read.
        versions: Vec<String>,
    },
    /// Two versions compared.
    Compare {
        /// Registered model.
        model: String,
        /// First version (usually the champion).
        a: String,
        /// Second version.
        b: String,
    },
    /// Schema diff and lineage beside a comparison.
    CompareEvidence {
        /// The comparison they belong to.
        cmp: Box<Comparison>,
    },
    /// One metric's training curves in both runs of a comparison.
    CompareCurve {
        /// The comparison.
        cmp: Box<Comparison>,
        /// Metric key.
        metric: String,
    },
    /// One metric across every version of a model (the Versions chart).
    MetricHistory {
        /// Registered model.
        model: String,
        /// Metric key (`None`: the first one any run logged).
        metric: Option<String>,
    },
    /// Recent events of a workload.
    Events {
        /// The workload.
        target: WorkloadRef,
    },
    /// The promotion inbox and list.
    Promotions,
    /// One promotion as a reviewer sees it.
    Review {
        /// Promotion id.
        id: String,
    },
    /// A promotion action (request, approve, execute, ...).
    Act(Act),
    /// Events and log tails of a promotion's targets.
    Activity {
        /// The targets.
        targets: Vec<WorkloadRef>,
    },
    /// A model version's drift over a window.
    Drift {
        /// Registered model.
        model: String,
        /// Version.
        version: String,
        /// Window, milliseconds.
        window_ms: i64,
    },
    /// A workload's serving health over a window.
    Health {
        /// The workload.
        target: WorkloadRef,
        /// Window, milliseconds.
        window_ms: i64,
        /// Chart columns the step is fitted to.
        columns: u32,
    },
    /// Fairness of a model version over a window (every protected
    /// attribute with data).
    Fairness {
        /// Registered model.
        model: String,
        /// Version.
        version: String,
        /// Window, milliseconds.
        window_ms: i64,
    },
    /// Start a retraining run of a model (audited in the journal).
    Retrain {
        /// Registered model.
        model: String,
        /// Why, as typed.
        reason: String,
        /// Window of the drift numbers recorded with it.
        window_ms: i64,
    },
    /// A retraining run as it is now.
    RetrainStatus {
        /// The run as last read.
        run: Box<RetrainRun>,
    },
    /// What to mark on a model's timelines (deploys, approvals,
    /// promotions, rollbacks) from `from` on.
    Markers {
        /// Registered model.
        model: String,
        /// The workloads serving it whose deploys count.
        targets: Vec<WorkloadRef>,
        /// Earliest time of interest.
        from: Timestamp,
    },
    /// One feature's drift score over time.
    DriftHistory {
        /// Registered model.
        model: String,
        /// Version.
        version: String,
        /// The profile the drift answer carried.
        profile: Arc<ReferenceProfile>,
        /// Feature.
        feature: String,
        /// Window each point covers, milliseconds.
        window_ms: i64,
        /// About how many points.
        points: u32,
    },
    /// What a model card is built from: the version and its run (when
    /// `version` is given) and the fields the model's promotion policy
    /// requires (`card_required`).
    Card {
        /// Registered model.
        model: String,
        /// Version (`None`: the policy only).
        version: Option<String>,
        /// The screen asking (each has its own slot).
        screen: CardFor,
    },
}

/// Which screen a [`Job::Card`] is for: each has its own slot, so a
/// screen on top does not abort the read of one below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardFor {
    /// The Models screen's card panel.
    Models,
    /// The Versions screen's card panel.
    Versions,
    /// A promotion's detail (the candidate's card).
    Promotion,
}

/// What a model card is built from, besides the registered model (which
/// the snapshot holds).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CardData {
    /// The version read (`None` when none was asked for).
    pub version: Option<ModelVersion>,
    /// Its run, when it has one that could be read.
    pub run: Option<RunData>,
    /// Fields the model's promotion policy requires (`card_required`);
    /// empty without a promotion service.
    pub required: Vec<CardField>,
}

/// Which in-flight slot a job occupies: a newer job in the same slot
/// replaces (aborts) the older one, so at most one runs per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobSlot {
    /// [`Job::Versions`].
    Versions,
    /// [`Job::Runs`].
    Runs,
    /// [`Job::Compare`].
    Compare,
    /// [`Job::CompareEvidence`].
    CompareEvidence,
    /// [`Job::CompareCurve`].
    CompareCurve,
    /// [`Job::MetricHistory`].
    MetricHistory,
    /// [`Job::Events`].
    Events,
    /// [`Job::Promotions`].
    Promotions,
    /// [`Job::Review`].
    Review,
    /// [`Job::Act`]: the app starts one at a time, never replaced.
    Act,
    /// [`Job::Activity`].
    Activity,
    /// [`Job::Drift`].
    Drift,
    /// [`Job::DriftHistory`].
    DriftHistory,
    /// [`Job::Markers`].
    Markers,
    /// [`Job::Health`].
    Health,
    /// [`Job::Fairness`].
    Fairness,
    /// [`Job::Retrain`]: started one at a time, never replaced.
    Retrain,
    /// [`Job::RetrainStatus`].
    RetrainStatus,
    /// [`Job::Card`], per screen.
    Card(CardFor),
}

impl Job {
    /// The slot this job runs in.
    pub fn slot(&self) -> JobSlot {
        match self {
            Job::Versions { .. } => JobSlot::Versions,
            Job::Runs { .. } => JobSlot::Runs,
            Job::Compare { .. } => JobSlot::Compare,
            Job::CompareEvidence { .. } => JobSlot::CompareEvidence,
            Job::CompareCurve { .. } => JobSlot::CompareCurve,
            Job::MetricHistory { .. } => JobSlot::MetricHistory,
            Job::Events { .. } => JobSlot::Events,
            Job::Promotions => JobSlot::Promotions,
            Job::Review { .. } => JobSlot::Review,
            Job::Act(_) => JobSlot::Act,
            Job::Activity { .. } => JobSlot::Activity,
            Job::Drift { .. } => JobSlot::Drift,
            Job::DriftHistory { .. } => JobSlot::DriftHistory,
            Job::Markers { .. } => JobSlot::Markers,
            Job::Health { .. } => JobSlot::Health,
            Job::Fairness { .. } => JobSlot::Fairness,
            Job::Retrain { .. } => JobSlot::Retrain,
            Job::RetrainStatus { .. } => JobSlot::RetrainStatus,
            Job::Card { screen, .. } => JobSlot::Card(*screen),
        }
    }
}

/// A job with the ticket that identifies this request.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRequest {
    /// Increases with every request the app makes.
    pub ticket: u64,
    /// What to do.
    pub job: Job,
}

/// What a job produced.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// Versions, newest first.
    Versions(PortResult<Vec<ModelVersion>>),
    /// Runs read, by version; versions whose run could not be read are absent.
    Runs(BTreeMap<String, RunData>),
    /// A comparison.
    Compare(PortResult<Box<Comparison>>),
    /// Schema diff and lineage (each part may have failed on its own).
    CompareEvidence(Box<CompareEvidence>),
    /// A metric's curves in both runs.
    CompareCurve(PortResult<Box<CurvePair>>),
    /// A metric across a model's versions.
    MetricHistory(PortResult<Box<MetricHistory>>),
    /// Events, oldest first.
    Events(PortResult<Vec<ClusterEvent>>),
    /// The promotion list and inbox.
    Promotions(Result<PromoLists, ErrorReport>),
    /// A promotion's review.
    Review(Result<Box<Review>, ErrorReport>),
    /// What an action did.
    Acted(Acted),
    /// Targets' events and logs.
    Activity(Vec<TargetActivity>),
    /// A drift view.
    Drift(PortResult<Box<DriftView>>),
    /// A feature's score over time.
    DriftHistory(PortResult<Vec<DriftPoint>>),
    /// A workload's health.
    Health(PortResult<Box<HealthView>>),
    /// Fairness of a model version.
    Fairness(PortResult<Box<FairnessView>>),
    /// A retraining run started (or why not).
    Retrained(Result<Box<RetrainOutcome>, String>),
    /// A retraining run as it is now.
    RetrainStatus(PortResult<Box<RetrainRun>>),
    /// Timeline markers, oldest first (best effort: never an error).
    Markers(Vec<Marker>),
    /// What a model card is built from.
    Card(PortResult<Box<CardData>>),
}

/// An answer, tagged with the request it answers.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// Ticket of the request.
    pub ticket: u64,
    /// The request itself (its target).
    pub job: Job,
    /// The answer.
    pub outcome: JobOutcome,
}

/// Runs `req` against `console`, with no promotion service. Never panics;
/// failures are in the outcome.
pub async fn execute(console: &Console, req: JobRequest) -> JobResult {
    execute_with(console, None, req).await
}

/// Runs `req` against `console` and, for promotion work, `promotions`.
/// Never panics; failures are in the outcome.
pub async fn execute_with(
    console: &Console,
    promotions: Option<&Promotions>,
    req: JobRequest,
) -> JobResult {
    use crate::promo_jobs as p;
    let off = || ErrorReport::new(ErrorCode::NotConfigured.as_str(), p::NOT_CONFIGURED);
    let outcome = match &req.job {
        Job::Versions { model } => JobOutcome::Versions(console.list_versions(model).await),
        Job::Runs { model, versions } => {
            let reads = versions.iter().map(|v| async move {
                match console.version_detail(model, v).await {
                    Ok(side) => side.run.map(|run| (v.clone(), run)),
                    Err(e) => {
                        tracing::debug!(%model, version = %v, error = %e, "run not read");
                        None
                    }
                }
            });
            JobOutcome::Runs(join_all(reads).await.into_iter().flatten().collect())
        }
        Job::Compare { model, a, b } => {
            JobOutcome::Compare(console.compare(model, a, b).await.map(Box::new))
        }
        Job::CompareEvidence { cmp } => {
            JobOutcome::CompareEvidence(Box::new(console.compare_evidence(cmp).await))
        }
        Job::CompareCurve { cmp, metric } => {
            JobOutcome::CompareCurve(console.compare_curve(cmp, metric).await.map(Box::new))
        }
        Job::MetricHistory { model, metric } => JobOutcome::MetricHistory(
            version_metrics::read(console, model, metric.as_deref())
                .await
                .map(Box::new),
        ),
        Job::Events { target } => JobOutcome::Events(console.events(target).await),
        Job::Promotions => JobOutcome::Promotions(match promotions {
            Some(svc) => p::lists(svc).await,
            None => Err(off()),
        }),
        Job::Review { id } => JobOutcome::Review(match promotions {
            Some(svc) => p::review(svc, id).await,
            None => Err(off()),
        }),
        Job::Act(a) => JobOutcome::Acted(match promotions {
            Some(svc) => p::act(svc, a).await,
            None => Acted {
                id: None,
                result: Err(off()),
            },
        }),
        Job::Activity { targets } => JobOutcome::Activity(p::activity(console, targets).await),
        Job::Drift {
            model,
            version,
            window_ms,
        } => JobOutcome::Drift(
            console
                .drift(model, version, *window_ms)
                .await
                .map(Box::new),
        ),
        Job::Fairness {
            model,
            version,
            window_ms,
        } => JobOutcome::Fairness(
            console
                .fairness(model, version, *window_ms)
                .await
                .map(Box::new),
        ),
        Job::Retrain {
            model,
            reason,
            window_ms,
        } => JobOutcome::Retrained(match promotions {
            Some(svc) => crate::retrain::start(console, svc, model, reason, *window_ms).await,
            None => Err(crate::retrain::NO_JOURNAL.to_string()),
        }),
        Job::RetrainStatus { run } => JobOutcome::RetrainStatus(
            console
                .retrain_status(run, crate::retrain::LOG_LINES)
                .await
                .map(Box::new),
        ),
        Job::Health {
            target,
            window_ms,
            columns,
        } => JobOutcome::Health(
            console
                .health(target, *window_ms, *columns)
                .await
                .map(Box::new),
        ),
        Job::Markers {
            model,
            targets,
            from,
        } => JobOutcome::Markers(
            crate::markers::gather(console, promotions, model, targets, *from).await,
        ),
        Job::DriftHistory {
            model,
            version,
            profile,
            feature,
            window_ms,
            points,
        } => JobOutcome::DriftHistory(
            console
                .drift_history(model, version, profile, feature, *window_ms, *points)
                .await,
        ),
        Job::Card { model, version, .. } => {
            JobOutcome::Card(read_card(console, promotions, model, version.as_deref()).await)
        }
    };
    JobResult {
        ticket: req.ticket,
        job: req.job,
        outcome,
    }
}

/// The version and run of a card, and the policy's required fields.
async fn read_card(
    console: &Console,
    promotions: Option<&Promotions>,
    model: &str,
    version: Option<&str>,
) -> PortResult<Box<CardData>> {
    let required = promotions
        .map(|p| p.policies().for_model(model).card_required.clone())
        .unwrap_or_default();
    let (version, run) = match version {
        Some(v) => {
            let side = console.version_detail(model, v).await?;
            (Some(side.version), side.run)
        }
        None => (None, None),
    };
    Ok(Box::new(CardData {
        version,
        run,
        required,
    }))
}
