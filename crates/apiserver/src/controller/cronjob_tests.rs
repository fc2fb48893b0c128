//! The CronJob controller driven by a manual clock: one pass per step, no
//! waiting on the wall clock.

use super::super::job::{EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION};
use super::super::{Clock, Controller};
use super::SCHEDULED_ANNOTATION;
use crate::config::ControllerConfig;
use crate::resources::ids;
use crate::store::Store;
use crate::write;
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;

const MIN: i64 = 60_000;

fn t(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s).unwrap().0
}

struct Rig {
    store: Arc<Store>,
    clock: Clock,
    ctl: Controller,
}

impl Rig {
    fn new(start: &str, spec: Value) -> Rig {
        let store = Arc::new(Store::new(10_000));
        write::create(
            &store,
            ids::NAMESPACES,
            "",
            json!({"metadata": {"name": "ml"}}),
            false,
        )
        .unwrap();
        let clock = Clock::manual(t(start));
        let cfg = ControllerConfig {
            clock: clock.clone(),
            ..ControllerConfig::default()
        };
        let mut cj = json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "scoring", "namespace": "ml", "creationTimestamp": clock.rfc3339()},
            "spec": {"schedule": "0 2 * * *", "jobTemplate": {
                "metadata": {"labels": {"modeldeck.io/model": "churn"}},
                "spec": {"backoffLimit": 0, "template": {
                    "metadata": {"annotations": {RUN_SECONDS_ANNOTATION: "600", "modeldeck.io/model-version": "7"}},
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "batch-scorer", "image": "s:1"}]}}}}}});
        if let (Some(s), Some(extra)) = (cj["spec"].as_object_mut(), spec.as_object()) {
            s.extend(extra.clone());
        }
        write::seed(&store, ids::CRONJOBS, cj).unwrap();
        let ctl = Controller::new(store.clone(), cfg);
        Rig { store, clock, ctl }
    }

    /// One controller pass after moving the clock by `ms`.
    fn step(&mut self, ms: i64) {
        self.clock.advance(ms);
        self.ctl.drain();
        self.ctl.pass(false);
        self.ctl.drain();
        self.ctl.pass(false);
    }

    /// Runs the clock to `ms` in steps of a minute (the pod starts after
    /// `ready_after`, then runs 10 minutes).
    fn run_until(&mut self, when: &str) {
        while self.clock.now_ms() < t(when) {
            self.step(MIN.min(t(when) - self.clock.now_ms()));
        }
    }

    fn cronjob(&self) -> Arc<Value> {
        self.store.get(ids::CRONJOBS, "ml", "scoring").unwrap()
    }

    fn jobs(&self) -> Vec<Arc<Value>> {
        let mut j = self.store.all(ids::JOBS);
        j.sort_by_key(|j| j["metadata"]["name"].as_str().unwrap_or("").to_string());
        j
    }

    fn set_exit_code(&self, code: &str) {
        self.store
            .update(ids::CRONJOBS, "ml", "scoring", false, |cur| {
                let mut n = cur.clone();
                n["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"]
                    [EXIT_CODE_ANNOTATION] = json!(code);
                Ok(Some(n))
            })
            .unwrap();
    }
}

fn condition(job: &Value) -> Vec<String> {
    job["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "True")
        .map(|c| c["type"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_nightly_run_makes_a_job_and_a_pod_and_the_status_follows() {
    let mut r = Rig::new("2026-12-05T01:58:00Z", json!({}));
    r.step(0);
    assert!(r.jobs().is_empty(), "nothing is due before 02:00");
    r.run_until("2026-12-05T02:00:00Z");
    let jobs = r.jobs();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    let cj = r.cronjob();
    let minute = t("2026-12-05T02:00:00Z") / MIN;
    assert_eq!(job["metadata"]["name"], format!("scoring-{minute}"));
    let owner = &job["metadata"]["ownerReferences"][0];
    assert_eq!(
        (owner["kind"].as_str(), owner["controller"].as_bool()),
        (Some("CronJob"), Some(true))
    );
    assert_eq!(owner["uid"], cj["metadata"]["uid"]);
    assert_eq!(job["metadata"]["labels"]["modeldeck.io/model"], "churn");
    assert_eq!(
        job["metadata"]["annotations"][SCHEDULED_ANNOTATION],
        "2026-12-05T02:00:00Z"
    );
    let labels = &job["spec"]["template"]["metadata"]["labels"];
    assert_eq!(
        labels["batch.kubernetes.io/job-name"],
        job["metadata"]["name"]
    );
    assert_eq!(
        labels["batch.kubernetes.io/controller-uid"],
        job["metadata"]["uid"]
    );
    assert_eq!(cj["status"]["lastScheduleTime"], "2026-12-05T02:00:00Z");
    assert_eq!(cj["status"]["active"][0]["name"], job["metadata"]["name"]);
    let pods = r.store.all(ids::PODS);
    assert_eq!(pods.len(), 1);
    assert_eq!(
        pods[0]["metadata"]["labels"]["batch.kubernetes.io/job-name"],
        job["metadata"]["name"]
    );
    // Ten minutes later it completed: no longer active, a success recorded.
    r.run_until("2026-12-05T02:12:00Z");
    let cj = r.cronjob();
    assert_eq!(condition(&r.jobs()[0]), ["SuccessCriteriaMet", "Complete"]);
    assert!(cj["status"].get("active").is_none(), "{}", cj["status"]);
    let done = t(cj["status"]["lastSuccessfulTime"].as_str().unwrap());
    assert!(
        done >= t("2026-12-05T02:10:00Z") && done <= t("2026-12-05T02:12:00Z"),
        "{}",
        cj["status"]
    );
    let reasons: Vec<String> = r
        .store
        .all(ids::EVENTS)
        .iter()
        .filter(|e| e["involvedObject"]["kind"] == "CronJob")
        .map(|e| e["reason"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        reasons.contains(&"SuccessfulCreate".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"SawCompletedJob".to_string()),
        "{reasons:?}"
    );
}

#[test]
fn history_limits_keep_three_successes_and_one_failure() {
    let mut r = Rig::new("2026-12-01T01:59:00Z", json!({}));
    for day in 1..=6 {
        // Nights 2 and 4 fail.
        r.set_exit_code(if day == 2 || day == 4 { "1" } else { "0" });
        r.run_until(&format!("2026-12-{day:02}T02:15:00Z"));
        r.run_until(&format!("2026-12-{:02}T01:59:00Z", day + 1));
    }
    let jobs = r.jobs();
    let by_result: Vec<(String, Vec<String>)> = jobs
        .iter()
        .map(|j| {
            let s = j["metadata"]["annotations"][SCHEDULED_ANNOTATION]
                .as_str()
                .unwrap()[..10]
                .to_string();
            (s, condition(j))
        })
        .collect();
    let days: Vec<&str> = by_result.iter().map(|(d, _)| d.as_str()).collect();
    // Successes on the 3rd, 5th, 6th (the 1st pruned); the failure of the 4th (the 2nd's pruned).
    assert_eq!(
        days,
        ["2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"]
    );
    assert!(
        by_result[1].1.contains(&"Failed".to_string()),
        "{by_result:?}"
    );
    // Pruned Jobs took their pods with them.
    assert_eq!(r.store.all(ids::PODS).len(), 4);
    let cj = r.cronjob();
    assert_eq!(cj["status"]["lastScheduleTime"], "2026-12-06T02:00:00Z");
}

#[test]
fn raised_history_limits_keep_a_week() {
    let spec = json!({"successfulJobsHistoryLimit": 7, "failedJobsHistoryLimit": 7});
    let mut r = Rig::new("2026-12-01T01:59:00Z", spec);
    for day in 1..=8 {
        r.run_until(&format!("2026-12-{day:02}T02:15:00Z"));
    }
    assert_eq!(r.jobs().len(), 7);
}

#[test]
fn forbid_skips_a_run_while_one_is_active_and_suspend_stops_runs() {
    let spec = json!({"schedule": "*/5 * * * *", "concurrencyPolicy": "Forbid"});
    let mut r = Rig::new("2026-12-05T01:59:00Z", spec);
    // Each run takes 10 minutes, the schedule is every 5.
    r.run_until("2026-12-05T02:09:00Z");
    assert_eq!(r.jobs().len(), 1, "02:05 was skipped while 02:00 ran");
    r.run_until("2026-12-05T02:16:00Z");
    let names: Vec<String> = r
        .jobs()
        .iter()
        .map(|j| {
            j["metadata"]["annotations"][SCHEDULED_ANNOTATION]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // 02:00 finished at ~02:10; the next run starts at the next due time, 02:10.
    assert_eq!(names, ["2026-12-05T02:00:00Z", "2026-12-05T02:10:00Z"]);
    r.store
        .update(ids::CRONJOBS, "ml", "scoring", false, |cur| {
            let mut n = cur.clone();
            n["spec"]["suspend"] = json!(true);
            Ok(Some(n))
        })
        .unwrap();
    r.run_until("2026-12-05T03:00:00Z");
    assert_eq!(r.jobs().len(), 2, "suspended: nothing new");
}

#[test]
fn replace_deletes_the_running_job() {
    let spec = json!({"schedule": "*/5 * * * *", "concurrencyPolicy": "Replace"});
    let mut r = Rig::new("2026-12-05T01:59:00Z", spec);
    r.run_until("2026-12-05T02:06:00Z");
    let names: Vec<String> = r
        .jobs()
        .iter()
        .map(|j| {
            j["metadata"]["annotations"][SCHEDULED_ANNOTATION]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["2026-12-05T02:05:00Z"]);
}

#[test]
fn a_run_past_its_starting_deadline_is_missed_not_started() {
    let spec = json!({"schedule": "0 * * * *", "startingDeadlineSeconds": 60});
    let mut r = Rig::new("2026-12-05T01:59:00Z", spec);
    r.step(0);
    // The controller was away from 02:00 to 02:05: too late to start.
    r.step(6 * MIN);
    r.step(MIN);
    assert!(r.jobs().is_empty());
    assert!(
        r.cronjob()["status"].get("lastScheduleTime").is_none(),
        "{}",
        r.cronjob()["status"]
    );
    let missed = r
        .store
        .all(ids::EVENTS)
        .iter()
        .filter(|e| e["reason"] == "MissSchedule")
        .count();
    assert_eq!(missed, 1);
    // The next hour starts on time.
    r.run_until("2026-12-05T03:00:00Z");
    assert_eq!(r.jobs().len(), 1);
    assert_eq!(
        r.cronjob()["status"]["lastScheduleTime"],
        "2026-12-05T03:00:00Z"
    );
}
