//! Scale worlds of mixed workload kinds for benchmarks
//! (`modeldeck-apiserver --scale N --kinds deploy,isvc,cronjob,stream
//! [--contexts C]`): workload `i` is of kind `kinds[i % kinds.len()]`,
//! settled (no history, no live rollout), spread over 20 namespaces and
//! 500 models, with every field the kube adapter reads. CronJobs are
//! suspended, so no Job is ever started at scale.

use super::{Seed, from_workloads};
use modeldeck_core::domain::{
    BatchStatus, RolloutState, Timestamp, Workload, WorkloadKind, WorkloadRef,
};

/// The `--kinds` names, in the order `--kinds` documents them.
pub const KIND_NAMES: [(&str, WorkloadKind); 4] = [
    ("deploy", WorkloadKind::Deployment),
    ("isvc", WorkloadKind::InferenceService),
    ("cronjob", WorkloadKind::CronJob),
    ("stream", WorkloadKind::StreamConsumer),
];

/// Parses `deploy,isvc,cronjob,stream` (any non-empty subset, any order,
/// no repeats) into kinds; the error names the bad entry and the choices.
pub fn parse_kinds(text: &str) -> Result<Vec<WorkloadKind>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let Some((_, k)) = KIND_NAMES.iter().find(|(n, _)| *n == part) else {
            let names: Vec<&str> = KIND_NAMES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "`{part}` is not a workload kind (choose among {})",
                names.join(", ")
            ));
        };
        if out.contains(k) {
            return Err(format!("`{part}` is named twice"));
        }
        out.push(*k);
    }
    Ok(out)
}

fn workload(cluster: &str, i: usize, kind: WorkloadKind) -> Workload {
    let replicas = 1 + (i % 3) as u32;
    let suspended = kind == WorkloadKind::CronJob;
    Workload {
        id: WorkloadRef {
            cluster: cluster.into(),
            namespace: format!("team-{:02}", i % 20),
            kind,
            name: format!("serve-{i:05}"),
        },
        uid: String::new(),
        resource_version: String::new(),
        model: Some(format!("model-{:03}", i % 500)),
        served_version: Some("1".into()),
        canary: None,
        ready_replicas: if suspended { 0 } else { replicas },
        desired_replicas: replicas,
        rollout: if suspended {
            RolloutState::Suspended
        } else {
            RolloutState::Available
        },
        labels: Default::default(),
        created_at: Timestamp::now().plus_millis(-86_400_000 * 3),
        batch: suspended.then(|| BatchStatus {
            schedule: "0 2 * * *".into(),
            time_zone: None,
            suspended: true,
            active: 0,
            last_schedule: None,
            last_success: None,
            runs: Vec::new(),
        }),
    }
}

/// `n` settled workloads of `kinds` (round robin) in `cluster`.
pub fn mixed_workloads(cluster: &str, n: usize, kinds: &[WorkloadKind]) -> Vec<Workload> {
    if kinds.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|i| workload(cluster, i, kinds[i % kinds.len()]))
        .collect()
}

/// [`mixed_workloads`] as seed objects.
pub fn mixed_seed(cluster: &str, n: usize, kinds: &[WorkloadKind]) -> Seed {
    from_workloads(&mixed_workloads(cluster, n, kinds))
}

/// The names of `count` scale clusters: `<name>-01`, `<name>-02`, ...
/// (`name` alone when `count` is 1).
pub fn cluster_names(name: &str, count: usize) -> Vec<String> {
    match count {
        1 => vec![name.to_string()],
        _ => (1..=count).map(|i| format!("{name}-{i:02}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_bad_ones_are_named() {
        assert_eq!(
            parse_kinds("deploy,isvc,cronjob,stream").unwrap(),
            vec![
                WorkloadKind::Deployment,
                WorkloadKind::InferenceService,
                WorkloadKind::CronJob,
                WorkloadKind::StreamConsumer
            ]
        );
        let e = parse_kinds("deploy,pods").unwrap_err();
        assert!(e.contains("`pods`") && e.contains("isvc"), "{e}");
        assert!(parse_kinds("isvc,isvc").unwrap_err().contains("twice"));
        assert!(parse_kinds("").is_err());
    }

    #[test]
    fn mixed_seed_has_each_kind_in_turn() {
        let kinds = parse_kinds("deploy,isvc,cronjob,stream").unwrap();
        let s = mixed_seed("c", 100, &kinds);
        let count = |kind: &str| s.objects.iter().filter(|o| o["kind"] == kind).count();
        assert_eq!(count("Deployment"), 50, "plain and stream consumers");
        assert_eq!(count("InferenceService"), 25);
        assert_eq!(count("CronJob"), 25);
        assert_eq!(count("Job"), 0, "no runs at scale");
        assert!(s.patches.is_empty(), "settled: nothing rolls");
        let cron = s.objects.iter().find(|o| o["kind"] == "CronJob").unwrap();
        assert_eq!(cron["spec"]["suspend"], true);
        let stream = s
            .objects
            .iter()
            .filter(|o| o["kind"] == "Deployment")
            .filter(|o| o["metadata"]["labels"][super::super::KIND_LABEL] == "stream")
            .count();
        assert_eq!(stream, 25);
        assert_eq!(
            cluster_names("scale", 3),
            ["scale-01", "scale-02", "scale-03"]
        );
        assert_eq!(cluster_names("scale", 1), ["scale"]);
    }
}
