//! The real `modeldeck` binary on the sandbox: documented JSON fields, data
//! that agrees across commands, YAML with the JSON shape, table headers, and
//! clear errors with the documented exit codes.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json, keys, run, sorted, yaml};
use serde_json::Value;
use std::collections::BTreeMap;

const WORKLOAD_FIELDS: &[&str] = &[
    "cluster",
    "namespace",
    "name",
    "kind",
    "model",
    "version",
    "aliases",
    "ready",
    "desired",
    "rollout",
    "rollout_detail",
    "rps",
    "p99_ms",
    "error_pct",
    "drift_psi",
    "drift",
    "created_at",
    "created_at_ms",
    "labels",
];

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// A model that has both a champion and a challenger, from `models`.
fn model_with_champion_and_challenger() -> (String, String, String) {
    let models = json(&["models"]);
    for m in arr(&models["models"]) {
        let a = &m["aliases"];
        if let (Some(c), Some(ch)) = (a["champion"].as_str(), a["challenger"].as_str())
            && c != ch
        {
            return (s(&m["name"]).to_string(), c.to_string(), ch.to_string());
        }
    }
    panic!("the demo sandbox should have a model with a champion and a challenger: {models}");
}

#[test]
fn status_json_has_the_documented_fields() {
    let st = json(&["status"]);
    assert_eq!(
        keys(&st),
        sorted(&[
            "profile",
            "sandbox",
            "at",
            "at_ms",
            "filter",
            "sort",
            "total",
            "count",
            "backends",
            "workloads"
        ])
    );
    assert_eq!(st["sandbox"], Value::Bool(true));
    assert!(st["filter"].is_null() && st["sort"].is_null());
    let rows = arr(&st["workloads"]);
    assert!(!rows.is_empty(), "the demo fleet is empty");
    assert_eq!(st["count"].as_u64(), Some(rows.len() as u64));
    assert_eq!(st["total"], st["count"]);
    assert!(s(&st["at"]).ends_with('Z') && st["at_ms"].is_i64());

    let backends = arr(&st["backends"]);
    let names: Vec<&str> = backends.iter().map(|b| s(&b["backend"])).collect();
    assert_eq!(names, ["cluster", "registry", "metrics"]);
    for b in backends {
        assert_eq!(s(&b["state"]), "ready", "{b}");
        assert!(b["error"].is_null() && b["last_ok"].is_string() && b["last_ok_ms"].is_i64());
    }

    let kinds = [
        "deployment",
        "inference_service",
        "cron_job",
        "stream_consumer",
        "pipeline",
    ];
    let rollouts = [
        "available",
        "progressing",
        "paused",
        "degraded",
        "suspended",
        "idle",
    ];
    // A CronJob reports its last run instead of a rollout.
    let runs = [
        "failed",
        "missed",
        "running",
        "succeeded",
        "suspended",
        "never_run",
    ];
    let mut batches = 0;
    let drifts = ["ok", "warning", "drifting", "unknown"];
    let mut with_rps = 0;
    for w in rows {
        assert!(kinds.contains(&s(&w["kind"])), "{w}");
        if ["cron_job", "pipeline"].contains(&s(&w["kind"])) {
            batches += 1;
            let mut want = WORKLOAD_FIELDS.to_vec();
            want.push("batch");
            assert_eq!(keys(w), sorted(&want), "{w}");
            assert!(runs.contains(&s(&w["rollout"])), "{w}");
            let b = &w["batch"];
            assert!(!s(&b["schedule"]).is_empty(), "{w}");
            for f in ["last_run", "last_success", "next_run", "missed"] {
                assert!(b[f].is_null() || b[f].is_i64(), "{f} of {w}");
            }
            assert!(
                ["failed", "missed", "suspended", "ok"].contains(&s(&b["verdict"])),
                "{w}"
            );
        } else if s(&w["kind"]) == "stream_consumer" && w.get("stream").is_some() {
            // Consumer lag: its fields are checked in cli_stream.rs.
            let mut want = WORKLOAD_FIELDS.to_vec();
            want.push("stream");
            assert_eq!(keys(w), sorted(&want), "{w}");
            assert!(rollouts.contains(&s(&w["rollout"])), "{w}");
        } else {
            assert_eq!(keys(w), sorted(WORKLOAD_FIELDS), "{w}");
            assert!(rollouts.contains(&s(&w["rollout"])), "{w}");
        }
        assert!(drifts.contains(&s(&w["drift"])), "{w}");
        assert!(w["ready"].as_u64().unwrap() <= w["desired"].as_u64().unwrap() + 100);
        assert!(w["created_at_ms"].is_i64() && s(&w["created_at"]).len() == 20);
        for f in ["rps", "p99_ms", "error_pct", "drift_psi"] {
            assert!(w[f].is_null() || w[f].is_f64(), "{f} of {w}");
        }
        if w["rps"].is_f64() {
            with_rps += 1;
        }
        // A missing PSI is "unknown", never a fake zero.
        if w["drift_psi"].is_null() {
            assert_eq!(s(&w["drift"]), "unknown", "{w}");
        }
    }
    assert!(with_rps > 0, "no workload has traffic in the demo");
    assert!(batches > 0, "the demo has no CronJob");
}

#[test]
fn fleet_models_and_versions_agree() {
    let st = json(&["status"]);
    let models = json(&["models"]);
    let by_name: BTreeMap<&str, &Value> = arr(&models["models"])
        .iter()
        .map(|m| (s(&m["name"]), m))
        .collect();
    assert_eq!(models["count"].as_u64(), Some(by_name.len() as u64));

    // Workload counts in `models` are the fleet's.
    let mut per_model: BTreeMap<&str, u64> = BTreeMap::new();
    for w in arr(&st["workloads"]) {
        if let Some(m) = w["model"].as_str() {
            *per_model.entry(m).or_default() += 1;
        }
    }
    for (name, m) in &by_name {
        assert_eq!(
            m["workloads"].as_u64(),
            Some(per_model.get(name).copied().unwrap_or(0)),
            "{name}"
        );
    }

    let mut versions_cache: BTreeMap<String, Value> = BTreeMap::new();
    let mut checked = 0;
    for w in arr(&st["workloads"]) {
        let (Some(model), Some(version)) = (w["model"].as_str(), w["version"].as_str()) else {
            continue;
        };
        let m = by_name
            .get(model)
            .unwrap_or_else(|| panic!("fleet model {model} missing from `models`"));
        let vs = versions_cache
            .entry(model.to_string())
            .or_insert_with(|| json(&["versions", model]));
        let v = arr(&vs["versions"])
            .iter()
            .find(|v| s(&v["version"]) == version)
            .unwrap_or_else(|| panic!("{model} v{version} served but not in `versions`"));
        // Aliases agree three ways: fleet row, version, model alias map.
        let from_model: Vec<&str> = m["aliases"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| v.as_str() == Some(version))
            .map(|(a, _)| a.as_str())
            .collect();
        let on_row: Vec<&str> = arr(&w["aliases"]).iter().map(s).collect();
        let on_version: Vec<&str> = arr(&v["aliases"]).iter().map(s).collect();
        assert_eq!(on_row, from_model, "{model} v{version}");
        assert_eq!(on_version, from_model, "{model} v{version}");
        // The version knows it is served by this workload.
        let id = format!(
            "{}/{}/{}/{}",
            s(&w["cluster"]),
            s(&w["namespace"]),
            kind_short(s(&w["kind"])),
            s(&w["name"])
        );
        let served: Vec<&str> = arr(&v["served_by"]).iter().map(s).collect();
        assert!(served.contains(&id.as_str()), "{id} not in {served:?}");
        checked += 1;
    }
    assert!(checked > 0, "no served versions to check");
}

fn kind_short(kind: &str) -> &'static str {
    match kind {
        "deployment" => "deploy",
        "inference_service" => "isvc",
        "cron_job" => "cronjob",
        "stream_consumer" => "stream",
        "pipeline" => "pipeline",
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn versions_are_newest_first_with_documented_fields() {
    let (model, champion, _) = model_with_champion_and_challenger();
    let vs = json(&["versions", &model]);
    assert_eq!(keys(&vs), sorted(&["model", "count", "versions"]));
    assert_eq!(s(&vs["model"]), model);
    let list = arr(&vs["versions"]);
    assert_eq!(vs["count"].as_u64(), Some(list.len() as u64));
    let nums: Vec<u64> = list
        .iter()
        .map(|v| s(&v["version"]).parse().unwrap())
        .collect();
    let mut desc = nums.clone();
    desc.sort_by(|a, b| b.cmp(a));
    assert_eq!(nums, desc, "versions not newest first");
    for v in list {
        assert_eq!(
            keys(v),
            sorted(&[
                "version",
                "aliases",
                "status",
                "created_at",
                "created_at_ms",
                "run_id",
                "source",
                "user",
                "description",
                "tags",
                "metrics",
                "served_by"
            ])
        );
        assert!(
            ["ready", "pending_registration", "failed_registration"].contains(&s(&v["status"]))
        );
        if let Some(m) = v["metrics"].as_object() {
            assert!(m.values().all(|x| x.is_number() || x.is_null()));
        }
    }
    let champ = list.iter().find(|v| s(&v["version"]) == champion).unwrap();
    assert!(arr(&champ["aliases"]).iter().any(|a| s(a) == "champion"));
    assert!(champ["metrics"].is_object(), "champion has no run metrics");
}

#[test]
fn compare_resolves_aliases_and_judges_by_direction() {
    let (model, champion, challenger) = model_with_champion_and_challenger();
    let c = json(&["compare", &model, "champion", "challenger"]);
    assert_eq!(
        keys(&c),
        sorted(&[
            "model",
            "a",
            "b",
            "score",
            "winner",
            "diff_only",
            "metrics",
            "params",
            "tags",
            "schema",
            "lineage",
            "curve_metrics",
            "curves"
        ])
    );
    assert_eq!(s(&c["a"]["requested"]), "champion");
    assert_eq!(s(&c["a"]["version"]), champion);
    assert_eq!(s(&c["b"]["version"]), challenger);
    // The same comparison by number, with a `v` prefix on one side.
    let by_number = json(&["compare", &model, &champion, &format!("v{challenger}")]);
    assert_eq!(by_number["metrics"], c["metrics"]);

    let metrics = arr(&c["metrics"]);
    assert!(!metrics.is_empty());
    let (mut a_wins, mut b_wins, mut ties) = (0, 0, 0);
    for m in metrics {
        let (a, b) = (m["a"].as_f64(), m["b"].as_f64());
        let w = s(&m["winner"]);
        match (a, b) {
            (Some(a), Some(b)) => {
                let d = m["delta"].as_f64().unwrap();
                assert!((d - (b - a)).abs() < 1e-9, "{m}");
                let higher = s(&m["direction"]) == "higher_is_better";
                let b_better = if higher { b > a } else { b < a };
                match w {
                    "tie" => ties += 1,
                    "b" => {
                        assert!(b_better, "{m}");
                        b_wins += 1
                    }
                    "a" => {
                        assert!(!b_better, "{m}");
                        a_wins += 1
                    }
                    other => panic!("winner {other} with both values: {m}"),
                }
            }
            _ => assert_eq!(w, "unknown", "{m}"),
        }
    }
    assert_eq!(c["score"]["a"].as_u64(), Some(a_wins));
    assert_eq!(c["score"]["b"].as_u64(), Some(b_wins));
    assert_eq!(c["score"]["ties"].as_u64(), Some(ties));
    let expected = match a_wins.cmp(&b_wins) {
        std::cmp::Ordering::Greater => "a",
        std::cmp::Ordering::Less => "b",
        std::cmp::Ordering::Equal => "tie",
    };
    assert_eq!(s(&c["winner"]), expected);

    // --diff-only keeps exactly the differences.
    let d = json(&["compare", &model, "champion", "challenger", "--diff-only"]);
    assert_eq!(d["diff_only"], Value::Bool(true));
    assert_eq!(d["score"], c["score"]);
    assert_eq!(
        arr(&d["metrics"]).len(),
        metrics.iter().filter(|m| s(&m["winner"]) != "tie").count()
    );
    assert!(
        arr(&d["params"])
            .iter()
            .all(|p| p["differs"] == Value::Bool(true))
    );
    assert!(
        arr(&d["tags"])
            .iter()
            .all(|p| p["differs"] == Value::Bool(true))
    );
}

#[test]
fn yaml_is_the_json_document() {
    let (model, _, _) = model_with_champion_and_challenger();
    for args in [
        vec!["status"],
        vec!["models"],
        vec!["versions", model.as_str()],
        vec!["compare", model.as_str(), "champion", "challenger"],
    ] {
        let (y, j) = (yaml(&args), json(&args));
        assert!(same(&y, &j), "{args:?}: YAML and JSON differ:\n{y}\n{j}");
    }
}

/// Equal values; numbers equal to 1e-12 relative, because serde_json's
/// default float parser may be one ulp off where YAML's is exact.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn filter_and_sort_narrow_and_order_the_fleet() {
    let all = json(&["status"]);
    let first_model = arr(&all["workloads"])
        .iter()
        .find_map(|w| w["model"].as_str())
        .unwrap()
        .to_string();
    let f = json(&["status", "--filter", &format!("model={first_model}")]);
    let rows = arr(&f["workloads"]);
    assert!(!rows.is_empty());
    assert!(
        rows.len() < arr(&all["workloads"]).len(),
        "filter did not narrow"
    );
    assert!(
        rows.iter()
            .all(|w| w["model"].as_str() == Some(&first_model))
    );
    assert_eq!(f["total"], all["count"]);
    assert_eq!(s(&f["filter"]), format!("model={first_model}"));

    let neg = json(&["status", "--filter", &format!("!model={first_model}")]);
    assert_eq!(
        arr(&neg["workloads"]).len() + rows.len(),
        arr(&all["workloads"]).len()
    );

    let sorted = json(&["status", "--sort", "p99", "--desc"]);
    assert_eq!(sorted["sort"]["column"], "p99");
    assert_eq!(sorted["sort"]["descending"], true);
    let p99: Vec<Option<f64>> = arr(&sorted["workloads"])
        .iter()
        .map(|w| w["p99_ms"].as_f64())
        .collect();
    let present: Vec<f64> = p99.iter().flatten().copied().collect();
    assert!(present.windows(2).all(|w| w[0] >= w[1]), "{present:?}");
    // Missing values sort last.
    let first_none = p99.iter().position(Option::is_none).unwrap_or(p99.len());
    assert!(p99[first_none..].iter().all(Option::is_none));
}

#[test]
fn tables_have_headers_and_no_color_when_piped() {
    let (model, _, _) = model_with_champion_and_challenger();
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec!["status"],
            &[
                "CONTEXT",
                "NAMESPACE",
                "NAME",
                "MODEL",
                "VER",
                "READY",
                "ROLLOUT",
                "P99MS",
                "DRIFT",
                "BACKEND",
                "STATE",
            ],
        ),
        (
            vec!["models"],
            &["NAME", "LATEST", "CHAMPION", "CHALLENGER", "SERVING"],
        ),
        (
            vec!["versions", &model],
            &["VERSION", "ALIASES", "STATUS", "SERVING", "CREATED", "RUN"],
        ),
        (
            vec!["compare", &model, "champion", "challenger"],
            &["METRIC", "DELTA", "WINNER", "score:"],
        ),
    ];
    for (args, headers) in cases {
        let mut all = vec!["--sandbox"];
        all.extend(args.iter().copied());
        let r = run(&all);
        assert_eq!(r.code, 0, "{all:?}: {}", r.stderr);
        for h in headers {
            assert!(r.stdout.contains(h), "{all:?} lacks {h}:\n{}", r.stdout);
        }
        assert!(!r.stdout.contains('\x1b'), "color in a pipe: {all:?}");
    }
    let forced = run(&["--sandbox", "models", "--color", "always"]);
    assert!(
        forced.stdout.contains("\x1b[1m"),
        "--color always has no color"
    );
}

#[test]
fn the_status_table_lists_every_workload_aligned() {
    let st = json(&["status"]);
    let r = run(&["--sandbox", "status"]);
    let lines: Vec<Vec<char>> = r.stdout.lines().map(|l| l.chars().collect()).collect();
    let header: String = lines[0].iter().collect();
    // Right-aligned numeric column: every cell ends where its header ends.
    let p99_end = header.find("P99MS").unwrap() + "P99MS".len();
    let n = arr(&st["workloads"]).len();
    for line in &lines[1..=n] {
        assert!(line.len() >= p99_end, "{line:?}");
        assert_ne!(
            line[p99_end - 1],
            ' ',
            "misaligned: {}",
            line.iter().collect::<String>()
        );
        assert_eq!(line.get(p99_end), Some(&' '));
    }
    assert!(lines[n + 1].is_empty(), "more rows than workloads");
    assert!(r.stdout.contains(&format!("{n} workloads")));
}

#[test]
fn the_same_seed_prints_the_same_bytes() {
    let once = run(&["--sandbox", "--seed", "7", "status", "-o", "json"]);
    let twice = run(&["--sandbox", "--seed", "7", "status", "-o", "json"]);
    assert_eq!(once.code, 0, "{}", once.stderr);
    assert_eq!(once.stdout, twice.stdout);
    let other = run(&["--sandbox", "--seed", "8", "status", "-o", "json"]);
    assert_ne!(once.stdout, other.stdout, "the seed changes nothing");
    let default = json(&["status"]);
    let explicit = json(&["--seed", "42", "status"]);
    assert_eq!(default, explicit, "the default seed is 42");
}
