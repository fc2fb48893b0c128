//! The three ports every backend implements: [`Cluster`], [`Registry`] and
//! [`Metrics`]. They are object-safe async traits (`Arc<dyn _>`), the one
//! choice used everywhere: real adapters and the sandbox plug in alike.
//!
//! Reads of live state are cheap by contract: an adapter that watches (the
//! kube reflector, the sandbox) answers from memory, and says that something
//! changed through [`Cluster::changed`] so the console re-reads only then.

use crate::domain::*;
use crate::error::{PartialFailure, PortResult};
use async_trait::async_trait;
use std::collections::BTreeMap;
use tokio::sync::watch;

/// The cluster(s): workloads serving models, and writes to them.
#[async_trait]
pub trait Cluster: Send + Sync {
    /// Names of the clusters (contexts) this port covers.
    fn clusters(&self) -> Vec<String>;

    /// A counter that increases whenever the workload set changes, when the
    /// adapter can tell (watchers); `None` means "poll me".
    fn changed(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// Parts of the cluster that could not be read although
    /// [`list_workloads`](Cluster::list_workloads) answered (a dead or
    /// unauthorized context among live ones), each naming its context.
    /// Empty by default.
    fn partial_failures(&self) -> Vec<PartialFailure> {
        Vec::new()
    }

    /// Every bound workload, across clusters and namespaces in scope.
    async fn list_workloads(&self) -> PortResult<Vec<Workload>>;

    /// Recent events of a workload, its ReplicaSets and pods, newest last.
    async fn events(&self, target: &WorkloadRef) -> PortResult<Vec<ClusterEvent>>;

    /// The workload's rollout history, oldest first: one [`Revision`] per
    /// pod template it ran (deploys). Kinds without one answer an empty
    /// list; adapters without the read answer `Unsupported`.
    async fn revisions(&self, target: &WorkloadRef) -> PortResult<Vec<Revision>> {
        Err(crate::error::BackendError::new(
            crate::error::Backend::Cluster,
            crate::error::ErrorCode::Unsupported,
            format!("{target}: this cluster adapter cannot read rollout history"),
        ))
    }

    /// Changes the served model version with a merge patch. `expected_rv`
    /// is the resourceVersion the user saw: a mismatch is a `Conflict`.
    async fn set_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload>;

    /// What [`Cluster::set_served_version`] would change in `target` to
    /// serve `version`: the same patch, built by the same function from the
    /// object as it is now, applied in memory and compared. Writes nothing.
    /// Adapters that cannot read specs answer `Unsupported`.
    async fn preview_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
    ) -> PortResult<crate::serving_diff::ServingChanges> {
        let _ = version;
        Err(crate::error::BackendError::new(
            crate::error::Backend::Cluster,
            crate::error::ErrorCode::Unsupported,
            format!("{target}: this cluster adapter cannot read workload specs"),
        ))
    }

    /// Who the cluster says we are on `cluster`.
    async fn whoami(&self, cluster: &str) -> PortResult<Identity>;

    /// May we do `check` on `cluster`?
    async fn can_i(&self, cluster: &str, check: &AccessCheck) -> PortResult<bool>;

    /// Records an Event about a workload (the audit mirror: `reason` such as
    /// `PromotionExecuted`, `kind` `Normal` or `Warning`). Adapters that
    /// cannot write events answer `Unsupported`.
    async fn record_event(
        &self,
        target: &WorkloadRef,
        kind: &str,
        reason: &str,
        message: &str,
    ) -> PortResult<()> {
        let _ = (target, kind, reason, message);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Cluster,
            crate::error::ErrorCode::Unsupported,
            "this cluster adapter cannot record events",
        ))
    }

    /// Starts or moves a progressive rollout: `version` takes
    /// `traffic_percent` (1..=99) of the traffic while the stable version
    /// keeps the rest (KServe `canaryTrafficPercent` in Knative mode).
    /// Finishing (100 %) is [`Cluster::set_served_version`]. `expected_rv`
    /// as there. Workloads or adapters without traffic splitting answer
    /// `Unsupported`.
    async fn set_canary(
        &self,
        target: &WorkloadRef,
        version: &str,
        traffic_percent: u8,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        let _ = (version, traffic_percent, expected_rv);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Cluster,
            crate::error::ErrorCode::Unsupported,
            format!("{target}: this cluster adapter cannot split traffic"),
        ))
    }

    /// Whether `cluster` binds approvals to identities (the ledger CRDs,
    /// the admission policy and its binding installed as shipped).
    /// Adapters without a ledger answer `Unbound` saying so.
    async fn ledger(&self, cluster: &str) -> PortResult<LedgerState> {
        let _ = cluster;
        Ok(LedgerState::Unbound {
            reason: "this cluster adapter keeps no promotion ledger".into(),
        })
    }

    /// Creates a `ModelPromotion` with our own credentials. An existing
    /// object of that name is a `Conflict`; admission refusals are
    /// `Forbidden` or `InvalidRequest` with the server's message.
    async fn create_promotion(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        let _ = (cluster, object);
        Err(no_ledger())
    }

    /// Reads a `ModelPromotion` (`None`: no such object).
    async fn get_promotion(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> PortResult<Option<PromotionObject>> {
        let _ = (cluster, namespace, name);
        Err(no_ledger())
    }

    /// Every `ModelPromotion` readable on `cluster`, all namespaces.
    async fn list_promotions(&self, cluster: &str) -> PortResult<Vec<PromotionObject>> {
        let _ = cluster;
        Err(no_ledger())
    }

    /// Replaces the status of `object` (its `resource_version` is the
    /// precondition: a stale one is a `Conflict`). Answers the stored object.
    async fn update_promotion_status(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        let _ = (cluster, object);
        Err(no_ledger())
    }

    /// Creates a `ModelApproval` with our own credentials (existing:
    /// `Conflict`; admission refusals as for [`Cluster::create_promotion`]).
    async fn create_approval(&self, cluster: &str, object: &ApprovalObject) -> PortResult<()> {
        let _ = (cluster, object);
        Err(no_ledger())
    }

    /// The `ModelApproval`s of `promotion` in `namespace`.
    async fn list_approvals(
        &self,
        cluster: &str,
        namespace: &str,
        promotion: &str,
    ) -> PortResult<Vec<ApprovalObject>> {
        let _ = (cluster, namespace, promotion);
        Err(no_ledger())
    }

    /// The last `lines` log lines of the workload's newest pod (all
    /// containers interleaved is not promised: the first model container).
    /// Adapters without logs answer `Unsupported`.
    async fn log_tail(&self, target: &WorkloadRef, lines: usize) -> PortResult<Vec<String>> {
        let _ = (target, lines);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Cluster,
            crate::error::ErrorCode::Unsupported,
            "this cluster adapter cannot read pod logs",
        ))
    }
    /// The training pipelines labelled [`RETRAIN_LABEL`]`=<model>` in
    /// every cluster and namespace in scope (CronJobs, and Argo
    /// WorkflowTemplates where the server serves them). Adapters without
    /// them answer `Unsupported`.
    async fn retrain_sources(&self, model: &str) -> PortResult<Vec<RetrainSource>> {
        Err(no_retrain(model))
    }

    /// Starts one run of `source` for `request`: a Job from a CronJob as
    /// `kubectl create job --from=cronjob/<name>` makes it (the template's
    /// spec, labels and annotations, `cronjob.kubernetes.io/instantiate:
    /// manual`, an owner reference to the CronJob) plus
    /// [`RetrainRequest::annotations`], or a Workflow referring to a
    /// WorkflowTemplate. `request.dry_run` asks the server to validate
    /// only. Answers the run as created.
    async fn start_retrain(
        &self,
        source: &RetrainSource,
        request: &RetrainRequest,
    ) -> PortResult<RetrainRun> {
        let _ = source;
        Err(no_retrain(&request.model))
    }

    /// `run` as it is now, with the last `log_lines` lines of its newest
    /// pod's log (none when 0 or when it has no started pod). A run that no
    /// longer exists is `NotFound`.
    async fn retrain_status(&self, run: &RetrainRun, log_lines: usize) -> PortResult<RetrainRun> {
        let _ = log_lines;
        Err(no_retrain(&run.model))
    }
}

fn no_retrain(model: &str) -> crate::error::BackendError {
    crate::error::BackendError::new(
        crate::error::Backend::Cluster,
        crate::error::ErrorCode::Unsupported,
        format!("{model}: this cluster adapter cannot start retraining runs"),
    )
}

fn no_ledger() -> crate::error::BackendError {
    crate::error::BackendError::new(
        crate::error::Backend::Cluster,
        crate::error::ErrorCode::Unsupported,
        "this cluster adapter keeps no promotion ledger",
    )
}

/// The model registry.
#[async_trait]
pub trait Registry: Send + Sync {
    /// Where the registry is, for status bars (no secrets).
    fn describe(&self) -> String;

    /// Every registered model with its aliases.
    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>>;

    /// One registered model.
    async fn get_model(&self, model: &str) -> PortResult<RegisteredModel>;

    /// Every version of `model`, newest first, aliases joined in.
    async fn list_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>>;

    /// One version, aliases joined in.
    async fn get_version(&self, model: &str, version: &str) -> PortResult<ModelVersion>;

    /// The training run: final metrics, params, tags.
    async fn get_run(&self, run_id: &str) -> PortResult<RunData>;

    /// Points `alias` at `version` (moving it if it exists).
    async fn set_alias(&self, model: &str, alias: &str, version: &str) -> PortResult<()>;

    /// Removes `alias` (no error if absent).
    async fn delete_alias(&self, model: &str, alias: &str) -> PortResult<()>;

    /// Sets a version tag (overwrites).
    async fn set_version_tag(
        &self,
        model: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> PortResult<()>;

    /// Deletes a version tag (no error if absent).
    async fn delete_version_tag(&self, model: &str, version: &str, key: &str) -> PortResult<()>;

    /// The reference profile of `model` `version` (the run artifact the
    /// version's [`PROFILE_TAG`](crate::drift::PROFILE_TAG) tag points to);
    /// `None` when the version has none. Adapters that cannot read
    /// artifacts answer `Unsupported`.
    async fn reference_profile(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<Option<crate::drift::ReferenceProfile>> {
        let _ = version;
        Err(crate::error::BackendError::new(
            crate::error::Backend::Registry,
            crate::error::ErrorCode::Unsupported,
            format!("{model}: this registry adapter cannot read reference profiles"),
        ))
    }

    /// Stores `profile` as the reference profile of `model` `version`: a
    /// run artifact at [`PROFILE_ARTIFACT`](crate::drift::PROFILE_ARTIFACT)
    /// and the version's [`PROFILE_TAG`](crate::drift::PROFILE_TAG) tag
    /// pointing to it (replacing any earlier one). Answers the artifact
    /// path. Adapters that cannot write artifacts answer `Unsupported`.
    async fn log_reference_profile(
        &self,
        model: &str,
        version: &str,
        profile: &crate::drift::ReferenceProfile,
    ) -> PortResult<String> {
        let _ = (version, profile);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Registry,
            crate::error::ErrorCode::Unsupported,
            format!("{model}: this registry adapter cannot store reference profiles"),
        ))
    }

    /// The model signature of `model` `version` from its `MLmodel` file: a
    /// version without the file or without a signature is a state, not an
    /// error; a malformed file is `MalformedResponse` naming the file and
    /// the version. Adapters that cannot read model files answer `Unsupported`.
    async fn model_schema(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<crate::compare_schema::ModelSchema> {
        let _ = version;
        Err(crate::error::BackendError::new(
            crate::error::Backend::Registry,
            crate::error::ErrorCode::Unsupported,
            format!("{model}: this registry adapter cannot read model signatures"),
        ))
    }

    /// The datasets run `run_id` logged as inputs (empty when none).
    /// Adapters without dataset inputs answer `Unsupported`.
    async fn run_datasets(
        &self,
        run_id: &str,
    ) -> PortResult<Vec<crate::compare_lineage::DatasetInput>> {
        Err(crate::error::BackendError::new(
            crate::error::Backend::Registry,
            crate::error::ErrorCode::Unsupported,
            format!("run {run_id}: this registry adapter cannot read dataset inputs"),
        ))
    }

    /// The history of metric `key` in run `run_id`, by step then time
    /// (empty when the run never logged it). Adapters without histories
    /// answer `Unsupported`.
    async fn metric_history(&self, run_id: &str, key: &str) -> PortResult<Vec<MetricPoint>> {
        let _ = key;
        Err(crate::error::BackendError::new(
            crate::error::Backend::Registry,
            crate::error::ErrorCode::Unsupported,
            format!("run {run_id}: this registry adapter cannot read metric histories"),
        ))
    }
}

/// The metrics backend (read-only).
///
/// Every call names the workload together with the registered model it
/// serves ([`MetricsTarget`]), so an adapter whose queries select by model
/// needs no state of its own about the cluster's bindings.
#[async_trait]
pub trait Metrics: Send + Sync {
    /// Where the backend is, for status bars (no secrets).
    fn describe(&self) -> String;

    /// Latest health of each of `targets`, keyed by the workload ref. A
    /// workload the backend has no data for is simply absent.
    async fn fleet_health(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, Health>>;

    /// One signal of one workload over a range.
    async fn signal_range(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Series>;

    /// One signal of one workload over a range, one series per model
    /// version serving it (a canary and its stable version side by side),
    /// sorted by version. Adapters whose series carry no version answer
    /// `Unsupported` (the default): front ends then show the blended
    /// [`Metrics::signal_range`] and say so.
    async fn signal_range_by_version(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Vec<(String, Series)>> {
        let _ = (signal, range);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Metrics,
            crate::error::ErrorCode::Unsupported,
            format!(
                "{}: this metrics backend does not split serving signals by version",
                target.workload
            ),
        ))
    }

    /// A stream consumer's lag over `range`: messages behind, summed over
    /// its consumer group's topics and partitions at each step (the
    /// workload's detail charts it over the detail's own window). Steps
    /// without data are absent. Adapters that cannot answer `Unsupported`
    /// (the default); front ends then show the fleet read's short history.
    async fn stream_lag_range(
        &self,
        target: &MetricsTarget,
        range: TimeRange,
    ) -> PortResult<Series> {
        let _ = range;
        Err(crate::error::BackendError::new(
            crate::error::Backend::Metrics,
            crate::error::ErrorCode::Unsupported,
            format!(
                "{}: this metrics backend cannot read consumer lag over a range",
                target.workload
            ),
        ))
    }

    /// Rows each run of the batch workloads among `targets` scored (by
    /// Job name), from [`MetricsTarget::runs`]: the increase of the rows
    /// counter over each run's window. A run without samples is absent
    /// (unknown, not 0). Adapters without the counter answer empty (the
    /// default).
    async fn batch_rows(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, BTreeMap<String, f64>>> {
        let _ = targets;
        Ok(BTreeMap::new())
    }

    /// Per-feature drift of the model a workload serves.
    async fn feature_drift(&self, target: &MetricsTarget) -> PortResult<Vec<FeatureDrift>>;

    /// The live distributions of `model` `version`'s features over the
    /// `window_ms` ending at `at` (now when `None`), in the bins of
    /// `profile` (issue 10's convention: `modeldeck_feature_value` histograms
    /// with buckets at the profile's edges, `modeldeck_feature_category_total`,
    /// `modeldeck_feature_missing_total`). A feature without series is absent
    /// from the sample. Adapters without live distributions answer
    /// `Unsupported`.
    async fn feature_sample(
        &self,
        model: &str,
        version: &str,
        profile: &crate::drift::ReferenceProfile,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<crate::drift::LiveSample> {
        let _ = (version, profile, window_ms, at);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Metrics,
            crate::error::ErrorCode::Unsupported,
            format!("{model}: this metrics adapter has no live feature distributions"),
        ))
    }

    /// One feature's live counts at each step of `range`, each over the
    /// `window_ms` ending there (drift over time). Steps without data are
    /// absent. At most one point per step; adapters clamp the step so no
    /// series exceeds the backend's point limit.
    async fn feature_sample_range(
        &self,
        model: &str,
        version: &str,
        profile: &crate::drift::ReferenceProfile,
        feature: &str,
        window_ms: i64,
        range: TimeRange,
    ) -> PortResult<Vec<(Timestamp, crate::drift::LiveFeature)>> {
        let _ = (version, profile, feature, window_ms, range);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Metrics,
            crate::error::ErrorCode::Unsupported,
            format!("{model}: this metrics adapter has no live feature distributions"),
        ))
    }

    /// Outcome counts of `model` `version` per protected attribute, group
    /// and outcome over the `window_ms` ending at `at` (now when `None`),
    /// from issue 10's counter
    /// `modeldeck_outcome_total{model,version,attribute,group,outcome}`
    /// (fairness). No series gives an empty sample. Adapters without
    /// outcome counts answer `Unsupported`.
    async fn outcome_counts(
        &self,
        model: &str,
        version: &str,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<crate::drift::fairness::OutcomeSample> {
        let _ = (version, window_ms, at);
        Err(crate::error::BackendError::new(
            crate::error::Backend::Metrics,
            crate::error::ErrorCode::Unsupported,
            format!("{model}: this metrics adapter has no outcome counts"),
        ))
    }

    /// TrustyAI's fairness gauges for `model` (`trustyai_spd`,
    /// `trustyai_dir` with label `model`), latest values. None present
    /// gives an empty list. Adapters without them answer `Unsupported`.
    async fn fairness_gauges(
        &self,
        model: &str,
    ) -> PortResult<Vec<crate::drift::fairness::FairnessGauge>> {
        Err(crate::error::BackendError::new(
            crate::error::Backend::Metrics,
            crate::error::ErrorCode::Unsupported,
            format!("{model}: this metrics adapter has no TrustyAI gauges"),
        ))
    }
}
