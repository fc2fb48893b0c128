//! The Drift screen of the real binary under tmux, on the simulated demo
//! world: from the Fleet's drifting row to the feature that drifted, its
//! score over time next to the deploy that caused it, the reference vs
//! live histogram, a retraining run started and followed, and back, all
//! by keyboard. What the screen must say is
//! taken from `modeldeck drift -o json` on the same world, so the TUI and
//! its scripting twin are checked against each other.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod tmux;

use common::{BIN, TempDir, json};
use tmux::Tmux;

#[test]
fn from_the_drifting_row_to_the_feature_its_chart_histogram_and_a_retraining_run() {
    let logs = TempDir::new("tmux-drift");
    let t = Tmux::start(160, 45);
    t.shell(&format!(
        "MODELDECK_LOG_DIR='{}' '{BIN}' demo",
        logs.0.display()
    ));
    t.wait_for("a populated Fleet", |s| {
        s.contains("Fleet(") && s.contains("demand-forecaster")
    });
    // The scripting twin: which features drift, worst first.
    let cli = json(&["drift", "demand-forecaster"]);
    let mut drifted: Vec<(String, f64)> = cli["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["drifted"] == true)
        .map(|f| {
            (
                f["feature"].as_str().unwrap().to_string(),
                f["severity"].as_f64().unwrap(),
            )
        })
        .collect();
    drifted.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert!(!drifted.is_empty(), "{cli}");
    let worst = drifted[0].0.clone();

    // The Fleet's drifting row: filter to it, D.
    t.type_text("/demand-forecaster");
    t.keys(&["Enter"]);
    t.wait_for("the filtered Fleet", |s| s.contains("[2/"));
    t.type_text("D");
    let screen = t.wait_for("the Drift screen with its chart", |s| {
        s.contains("Drift(demand-forecaster v5)") && s.contains("over time")
    });
    // Every feature the CLI says drifted is a `drift` row; the worst is on
    // the first row, under the cursor.
    for (name, _) in &drifted {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{screen}"));
        assert!(line.contains("drift"), "{line}");
    }
    let cursor = screen.lines().find(|l| l.contains("│›")).unwrap();
    assert!(cursor.contains(&worst), "{cursor}");
    // Its score over time, with the threshold crossing and the deploy marker
    // (the feature transformer rolled out when the shift began).
    let screen = t.wait_for("the crossing and the deploy marker", |s| {
        s.contains("crossed") && s.contains("▲ deploy")
    });
    assert!(screen.contains("transformer 2.4.0"), "{screen}");
    assert!(screen.contains("reference vs live 24h"), "{screen}");
    // j: the next feature's chart.
    t.type_text("j");
    let second = drifted.get(1).map_or("temperature", |d| d.0.as_str());
    t.wait_for("the second feature's chart", |s| {
        s.contains(&format!("{second}: ")) && s.contains("over time")
    });
    // w: the 7 d window; the screen says so.
    t.type_text("w");
    t.wait_for("the 7d window", |s| {
        s.contains("window 7d") && s.contains("each point: 7d")
    });
    // R: retrain, with the reason typed on the prefilled command line; the
    // run is created from the model's CronJob, audited, and followed.
    t.type_text("R");
    t.wait_for("the prefilled command line", |s| {
        s.contains(":retrain demand-forecaster ")
    });
    t.type_text("lag_7d drifted after the transformer deploy");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the run created", |s| {
        s.contains("◆ retraining demand-forecaster: job") && s.contains("(audited)")
    });
    assert!(screen.contains("◆ retrain commerce/"), "{screen}");
    t.wait_within(
        std::time::Duration::from_secs(60),
        "the run to succeed",
        |s| s.contains("succeeded"),
    );
    // q back to the Fleet, q quits, the shell is back.
    t.type_text("q");
    t.wait_for("the Fleet again", |s| s.contains("Fleet("));
    t.type_text("q");
    t.wait_for("the shell prompt", |s| !s.contains("Fleet("));
}
