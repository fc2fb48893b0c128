//! The deployment controller: one ReplicaSet per pod template (revision
//! annotations, rollback by reusing an old ReplicaSet), rolling updates
//! within maxSurge/maxUnavailable, and Deployment status with the
//! Progressing/Available conditions `kubectl rollout status` reads.

use super::Controller;
use super::conditions::set_condition;
use super::pods;
use crate::ids::template_hash;
use crate::resources::ids;
use crate::write::{self, now_rfc3339};
use modeldeck_core::domain::Timestamp;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Annotation holding a ReplicaSet's (and its Deployment's) revision.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
const HISTORY: &str = "deployment.kubernetes.io/revision-history";
const SKIP_COPY: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    HISTORY,
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

fn revision(o: &Value) -> u64 {
    o.pointer("/metadata/annotations")
        .and_then(|a| a.get(REVISION))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn int(o: &Value, p: &str) -> i64 {
    o.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

/// Resolves an int-or-percent against `total` (percent rounded up or down).
fn resolve(v: Option<&Value>, total: i64, round_up: bool, default_pct: i64) -> i64 {
    let pct = |p: i64| {
        if round_up {
            (total * p + 99) / 100
        } else {
            total * p / 100
        }
    };
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim_end_matches('%').parse::<i64>().map(pct).unwrap_or(0),
        _ => pct(default_pct),
    }
}

fn copied_annotations(d: &Value) -> Map<String, Value> {
    d.pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !SKIP_COPY.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

impl Controller {
    fn owned_replicasets(&self, ns: &str, uid: &str) -> Vec<Arc<Value>> {
        let owned = |o: &Value| {
            o.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|x| x["uid"] == uid && x["controller"] == true))
        };
        self.rs_by_owner
            .get(uid)
            .into_iter()
            .flatten()
            .filter(|(n, _)| n == ns)
            .filter_map(|(n, name)| self.store.get(ids::REPLICASETS, n, name))
            .filter(|o| owned(o))
            .collect()
    }

    fn new_replicaset(&mut self, d: &Value, hash: &str, rev: u64) -> Option<Arc<Value>> {
        let m = &d["metadata"];
        let name = m["name"].as_str().unwrap_or("");
        let ns = m["namespace"].as_str().unwrap_or("");
        let mut tmpl = d["spec"]["template"].clone();
        tmpl["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        let mut sel = d["spec"]["selector"].clone();
        sel["matchLabels"]["pod-template-hash"] = json!(hash);
        let mut ann = copied_annotations(d);
        let desired = int(d, "/spec/replicas");
        ann.insert(REVISION.into(), json!(rev.to_string()));
        ann.insert(
            "deployment.kubernetes.io/desired-replicas".into(),
            json!(desired.to_string()),
        );
        ann.insert(
            "deployment.kubernetes.io/max-replicas".into(),
            json!((desired + 1).to_string()),
        );
        let rs = json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": format!("{name}-{hash}"),
                "namespace": ns,
                "labels": tmpl["metadata"]["labels"],
                "annotations": ann,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": m["uid"],
                                     "controller": true, "blockOwnerDeletion": true}],
            },
            "spec": {"replicas": 0, "selector": sel, "template": tmpl},
        });
        let created = write::create(&self.store, ids::REPLICASETS, ns, rs, false).ok();
        if let Some(r) = &created {
            self.index_rs(r, false);
        }
        created
    }

    fn scale_rs(&mut self, d: &Value, rs: &Value, to: i64) -> Option<Arc<Value>> {
        let from = int(rs, "/spec/replicas");
        if from == to {
            return None;
        }
        let ns = rs["metadata"]["namespace"].as_str().unwrap_or("");
        let name = rs["metadata"]["name"].as_str().unwrap_or("");
        let desired = int(d, "/spec/replicas");
        let out = self.store.update(ids::REPLICASETS, ns, name, false, |cur| {
            let mut n = cur.clone();
            n["spec"]["replicas"] = json!(to);
            n["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] =
                json!(desired.to_string());
            n["metadata"]["generation"] = json!(int(cur, "/metadata/generation") + 1);
            Ok(Some(n))
        });
        let dir = if to > from { "up" } else { "down" };
        self.recorder.record(
            d,
            "Normal",
            "ScalingReplicaSet",
            &format!("Scaled {dir} replica set {name} from {from} to {to}"),
            "deployment-controller",
        );
        out.ok()
    }

    /// Reconciles one Deployment; returns true while it is still moving.
    pub(super) fn reconcile_deployment(&mut self, ns: &str, name: &str, settle: bool) -> bool {
        let Some(d) = self.store.get(ids::DEPLOYMENTS, ns, name) else {
            return false;
        };
        let uid = d["metadata"]["uid"].as_str().unwrap_or("").to_string();
        let mut rss = self.owned_replicasets(ns, &uid);
        let hash = template_hash(&d["spec"]["template"]);
        let paused = d
            .pointer("/spec/paused")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let desired = int(&d, "/spec/replicas");
        let max_rev = rss.iter().map(|r| revision(r)).max().unwrap_or(0);
        let mut created = false;
        let mut new_rs = rss
            .iter()
            .find(|r| {
                r.pointer("/metadata/labels/pod-template-hash")
                    .and_then(Value::as_str)
                    == Some(hash.as_str())
            })
            .cloned();
        if !paused {
            match &new_rs {
                None => {
                    if let Some(r) = self.new_replicaset(&d, &hash, max_rev + 1) {
                        rss.push(r.clone());
                        new_rs = Some(r);
                        created = true;
                    }
                }
                Some(r) if revision(r) < max_rev => {
                    let old = revision(r);
                    let ann = copied_annotations(&d);
                    let rn = r["metadata"]["name"].as_str().unwrap_or("").to_string();
                    if let Ok(u) = self.store.update(ids::REPLICASETS, ns, &rn, false, |cur| {
                        let mut n = cur.clone();
                        for (k, v) in &ann {
                            n["metadata"]["annotations"][k] = v.clone();
                        }
                        let hist = cur
                            .pointer("/metadata/annotations")
                            .and_then(|a| a.get(HISTORY))
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        let hist = if hist.is_empty() {
                            old.to_string()
                        } else {
                            format!("{hist},{old}")
                        };
                        n["metadata"]["annotations"][HISTORY] = json!(hist);
                        n["metadata"]["annotations"][REVISION] = json!((max_rev + 1).to_string());
                        Ok(Some(n))
                    }) {
                        rss.retain(|x| x["metadata"]["name"] != rn.as_str());
                        rss.push(u.clone());
                        new_rs = Some(u);
                    }
                }
                Some(_) => {}
            }
        }
        if let Some(r) = &new_rs {
            let rev = revision(r).to_string();
            let cur_rev = d
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(REVISION))
                .and_then(Value::as_str);
            if cur_rev != Some(rev.as_str()) {
                let _ = self.store.update(ids::DEPLOYMENTS, ns, name, false, |cur| {
                    let mut n = cur.clone();
                    if !n["metadata"]["annotations"].is_object() {
                        n["metadata"]["annotations"] = json!({});
                    }
                    n["metadata"]["annotations"][REVISION] = json!(rev);
                    Ok(Some(n))
                });
            }
        }
        let new_name = new_rs
            .as_ref()
            .and_then(|r| r["metadata"]["name"].as_str().map(String::from));
        if !paused && let Some(n) = &new_rs {
            self.roll(&d, n, &mut rss, desired, settle);
        }
        // Replicas and ReplicaSet status.
        let (mut total, mut updated, mut ready) = (0i64, 0i64, 0i64);
        let mut moving = false;
        for rs in rss.iter_mut() {
            let ruid = rs["metadata"]["uid"].as_str().unwrap_or("").to_string();
            let mut list = self.replicas.remove(&ruid).unwrap_or_default();
            let fresh = self.store.get(
                ids::REPLICASETS,
                ns,
                rs["metadata"]["name"].as_str().unwrap_or(""),
            );
            let cur = fresh.unwrap_or_else(|| rs.clone());
            let (after, with_pods) = (self.ready_after_ms(), self.cfg.pods);
            pods::sync(
                &self.store,
                &mut self.recorder,
                &cur,
                &mut list,
                after,
                with_pods,
                settle,
            );
            let n = list.len() as i64;
            let r = list.iter().filter(|x| x.ready).count() as i64;
            moving |= r < n;
            self.replicas.insert(ruid, list);
            total += n;
            ready += r;
            if Some(cur["metadata"]["name"].as_str().unwrap_or("")) == new_name.as_deref() {
                updated = n;
            }
            self.write_rs_status(&cur, n, r);
        }
        let complete = updated == desired && total == updated && ready == updated;
        self.write_deployment_status(
            &d,
            total,
            updated,
            ready,
            new_name.as_deref(),
            created,
            paused,
            complete,
        );
        let failing = new_rs
            .as_ref()
            .is_some_and(|r| pods::template_fails(&r["spec"]["template"]));
        !complete || moving || failing
    }

    fn roll(
        &mut self,
        d: &Value,
        new_rs: &Arc<Value>,
        rss: &mut [Arc<Value>],
        desired: i64,
        settle: bool,
    ) {
        let strategy = d
            .pointer("/spec/strategy/type")
            .and_then(Value::as_str)
            .unwrap_or("RollingUpdate");
        let new_name = new_rs["metadata"]["name"].clone();
        let ready_of = |c: &Controller, r: &Value| -> i64 {
            let uid = r["metadata"]["uid"].as_str().unwrap_or("");
            c.replicas
                .get(uid)
                .map_or(0, |l| l.iter().filter(|x| x.ready).count() as i64)
        };
        let (surge, unavail) = if strategy == "Recreate" || settle {
            (0, desired)
        } else {
            let s = resolve(
                d.pointer("/spec/strategy/rollingUpdate/maxSurge"),
                desired,
                true,
                25,
            );
            let u = resolve(
                d.pointer("/spec/strategy/rollingUpdate/maxUnavailable"),
                desired,
                false,
                25,
            );
            if s == 0 && u == 0 { (0, 1) } else { (s, u) }
        };
        // Scale old ReplicaSets down first (oldest revision first) within maxUnavailable.
        let mut olds: Vec<usize> = (0..rss.len())
            .filter(|i| rss[*i]["metadata"]["name"] != new_name)
            .collect();
        olds.sort_by_key(|i| revision(&rss[*i]));
        let available: i64 = rss.iter().map(|r| ready_of(self, r)).sum();
        let mut can_remove = (available - (desired - unavail)).max(0);
        let new_ready = ready_of(self, new_rs);
        for i in olds {
            let spec = int(&rss[i], "/spec/replicas");
            let r = ready_of(self, &rss[i]);
            let unready = (spec - r).max(0);
            let take = if strategy == "Recreate" || settle {
                spec
            } else {
                unready + can_remove.min(r)
            };
            let to = (spec - take).max(0);
            can_remove -= (take - unready).max(0);
            if to != spec
                && let Some(u) = self.scale_rs(d, &rss[i], to)
            {
                rss[i] = u;
            }
        }
        let total: i64 = rss.iter().map(|r| int(r, "/spec/replicas")).sum();
        let idx = rss.iter().position(|r| r["metadata"]["name"] == new_name);
        let Some(idx) = idx else { return };
        let cur = int(&rss[idx], "/spec/replicas");
        let target = if strategy == "Recreate" && total - cur > 0 {
            cur
        } else if cur < desired {
            cur + (desired - cur).min((desired + surge - total).max(0))
        } else {
            desired
        };
        let _ = new_ready;
        if target != cur
            && let Some(u) = self.scale_rs(d, &rss[idx], target)
        {
            rss[idx] = u;
        }
    }

    fn write_rs_status(&mut self, rs: &Value, n: i64, ready: i64) {
        let ns = rs["metadata"]["namespace"].as_str().unwrap_or("");
        let name = rs["metadata"]["name"].as_str().unwrap_or("");
        let mut st = Map::new();
        for (k, v) in [
            ("replicas", n),
            ("fullyLabeledReplicas", n),
            ("readyReplicas", ready),
            ("availableReplicas", ready),
        ] {
            if v > 0 || k == "replicas" {
                st.insert(k.into(), json!(v));
            }
        }
        st.insert(
            "observedGeneration".into(),
            json!(int(rs, "/metadata/generation")),
        );
        let st = Value::Object(st);
        if rs.get("status") != Some(&st) {
            let _ = self.store.update(ids::REPLICASETS, ns, name, false, |cur| {
                let mut c = cur.clone();
                c["status"] = st;
                Ok(Some(c))
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn write_deployment_status(
        &mut self,
        d: &Value,
        total: i64,
        updated: i64,
        ready: i64,
        new_rs: Option<&str>,
        created: bool,
        paused: bool,
        complete: bool,
    ) {
        let ns = d["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = d["metadata"]["name"].as_str().unwrap_or("").to_string();
        let Some(cur) = self.store.get(ids::DEPLOYMENTS, &ns, &name) else {
            return;
        };
        let desired = int(&cur, "/spec/replicas");
        let old = cur.get("status").cloned().unwrap_or(json!({}));
        let mut conds: Vec<Value> = old
            .get("conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let now = now_rfc3339();
        let max_unavail = resolve(
            cur.pointer("/spec/strategy/rollingUpdate/maxUnavailable"),
            desired,
            false,
            25,
        );
        let min_ok = ready >= desired - max_unavail;
        set_condition(
            &mut conds,
            "Available",
            if min_ok { "True" } else { "False" },
            if min_ok {
                "MinimumReplicasAvailable"
            } else {
                "MinimumReplicasUnavailable"
            },
            if min_ok {
                "Deployment has minimum availability."
            } else {
                "Deployment does not have minimum availability."
            },
            &now,
            false,
        );
        let rs = new_rs.unwrap_or("");
        let progressed = [
            ("replicas", total),
            ("updatedReplicas", updated),
            ("readyReplicas", ready),
        ]
        .iter()
        .any(|(k, v)| old.get(*k).and_then(Value::as_i64).unwrap_or(0) != *v);
        let prev_reason = conds
            .iter()
            .find(|c| c["type"] == "Progressing")
            .and_then(|c| c["reason"].as_str())
            .map(String::from);
        let deadline = int(&cur, "/spec/progressDeadlineSeconds").max(1) * 1000;
        let last_update = conds
            .iter()
            .find(|c| c["type"] == "Progressing")
            .and_then(|c| c["lastUpdateTime"].as_str())
            .and_then(crate::time::parse_rfc3339)
            .unwrap_or(Timestamp::now().0);
        if paused {
            set_condition(
                &mut conds,
                "Progressing",
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused",
                &now,
                false,
            );
        } else if complete {
            set_condition(
                &mut conds,
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                &format!("ReplicaSet \"{rs}\" has successfully progressed."),
                &now,
                false,
            );
        } else if created {
            set_condition(
                &mut conds,
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                &format!("Created new replica set \"{rs}\""),
                &now,
                true,
            );
        } else if prev_reason.as_deref() == Some("DeploymentPaused") {
            set_condition(
                &mut conds,
                "Progressing",
                "True",
                "DeploymentResumed",
                "Deployment is resumed",
                &now,
                true,
            );
        } else if progressed || prev_reason.as_deref() == Some("NewReplicaSetAvailable") {
            set_condition(
                &mut conds,
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                &format!("ReplicaSet \"{rs}\" is progressing."),
                &now,
                true,
            );
        } else if Timestamp::now().0 - last_update > deadline
            && prev_reason.as_deref() != Some("ProgressDeadlineExceeded")
        {
            set_condition(
                &mut conds,
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                &format!("ReplicaSet \"{rs}\" has timed out progressing."),
                &now,
                true,
            );
        }
        conds.sort_by_key(|c| if c["type"] == "Available" { 0 } else { 1 });
        let mut st = Map::new();
        st.insert(
            "observedGeneration".into(),
            json!(int(&cur, "/metadata/generation")),
        );
        for (k, v) in [
            ("replicas", total),
            ("updatedReplicas", updated),
            ("readyReplicas", ready),
            ("availableReplicas", ready),
            ("unavailableReplicas", (desired - ready).max(0)),
        ] {
            if v > 0 {
                st.insert(k.into(), json!(v));
            }
        }
        st.insert("conditions".into(), json!(conds));
        let st = Value::Object(st);
        if cur.get("status") != Some(&st) {
            let _ = self.store.update(ids::DEPLOYMENTS, &ns, &name, false, |c| {
                let mut n = c.clone();
                n["status"] = st;
                Ok(Some(n))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_int_or_percent() {
        assert_eq!(resolve(Some(&json!("25%")), 3, true, 25), 1);
        assert_eq!(resolve(Some(&json!("25%")), 3, false, 25), 0);
        assert_eq!(resolve(Some(&json!(2)), 3, false, 25), 2);
        assert_eq!(resolve(None, 8, false, 25), 2);
    }
}
