//! Built-in worlds to serve without any other crate: a small demo cluster
//! (every workload kind and rollout state) and a scale world of N
//! Deployments for load tests.

use crate::seed::{Seed, from_workloads};
use modeldeck_core::domain::{
    Canary, RolloutState, Timestamp, Workload, WorkloadKind, WorkloadRef,
};
use std::collections::BTreeMap;

#[allow(clippy::too_many_arguments)]
fn workload(
    cluster: &str,
    ns: &str,
    kind: WorkloadKind,
    name: &str,
    model: &str,
    version: &str,
    replicas: u32,
    rollout: RolloutState,
) -> Workload {
    let mut labels = BTreeMap::new();
    labels.insert("team".to_string(), "ml-platform".to_string());
    Workload {
        id: WorkloadRef {
            cluster: cluster.into(),
            namespace: ns.into(),
            kind,
            name: name.into(),
        },
        uid: String::new(),
        resource_version: String::new(),
        model: Some(model.into()),
        served_version: Some(version.into()),
        canary: None,
        ready_replicas: replicas,
        desired_replicas: replicas,
        rollout,
        labels: labels.into(),
        created_at: Timestamp::now().plus_millis(-86_400_000 * 3),
        batch: None,
    }
}

/// The demo cluster's workloads: deployments (one rolling, one stalled,
/// one paused), a KServe InferenceService with a 20 % canary, a stream
/// consumer and a suspended batch CronJob, in two namespaces.
pub fn demo_workloads(cluster: &str) -> Vec<Workload> {
    use RolloutState::*;
    use WorkloadKind::*;
    let mut isvc = workload(
        cluster,
        "ml-prod",
        InferenceService,
        "churn-predictor",
        "churn-predictor",
        "3",
        2,
        Available,
    );
    isvc.canary = Some(Canary {
        version: "4".into(),
        traffic_percent: 20,
    });
    vec![
        workload(
            cluster,
            "ml-prod",
            Deployment,
            "fraud-detector",
            "fraud-detector",
            "7",
            3,
            Available,
        ),
        workload(
            cluster,
            "ml-prod",
            Deployment,
            "recommender",
            "recommender",
            "12",
            4,
            Progressing {
                updated: 0,
                desired: 4,
            },
        ),
        isvc,
        workload(
            cluster,
            "ml-prod",
            StreamConsumer,
            "ranker-stream",
            "ranker",
            "5",
            2,
            Available,
        ),
        workload(
            cluster,
            "ml-staging",
            Deployment,
            "fraud-detector",
            "fraud-detector",
            "8",
            1,
            Available,
        ),
        workload(
            cluster,
            "ml-staging",
            Deployment,
            "price-optimizer",
            "price-optimizer",
            "2",
            2,
            Degraded {
                reason: "ProgressDeadlineExceeded".into(),
            },
        ),
        workload(
            cluster,
            "ml-staging",
            Deployment,
            "search-ranker",
            "search-ranker",
            "9",
            1,
            Paused,
        ),
        workload(
            cluster,
            "ml-batch",
            CronJob,
            "nightly-scorer",
            "fraud-detector",
            "7",
            1,
            Suspended,
        ),
    ]
}

/// The demo cluster as seed objects.
pub fn demo_seed(cluster: &str) -> Seed {
    from_workloads(&demo_workloads(cluster))
}

/// `n` settled Deployments (no history) spread over 20 namespaces and 500
/// models, for scale tests and benchmarks.
pub fn scale_seed(cluster: &str, n: usize) -> Seed {
    let ws: Vec<Workload> = (0..n)
        .map(|i| {
            let model = format!("model-{:03}", i % 500);
            let mut w = workload(
                cluster,
                &format!("team-{:02}", i % 20),
                WorkloadKind::Deployment,
                &format!("serve-{i:05}"),
                &model,
                "1",
                1 + (i % 3) as u32,
                RolloutState::Available,
            );
            w.labels = Default::default();
            w
        })
        .collect();
    from_workloads(&ws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_covers_every_kind() {
        let ws = demo_workloads("c");
        // Pipelines need Argo: this cluster has none (the sandbox world's
        // seed has one, `seed::from_cluster`).
        for k in WorkloadKind::ALL
            .into_iter()
            .filter(|k| !matches!(k, WorkloadKind::Pipeline))
        {
            assert!(ws.iter().any(|w| w.id.kind == k), "{k}");
        }
        let s = demo_seed("c");
        assert!(s.objects.len() > ws.len());
    }

    #[test]
    fn scale_seed_has_n_deployments() {
        let s = scale_seed("c", 100);
        assert_eq!(
            s.objects
                .iter()
                .filter(|o| o["kind"] == "Deployment")
                .count(),
            100
        );
        assert!(s.patches.is_empty());
    }
}
