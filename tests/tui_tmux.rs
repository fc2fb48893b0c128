//! The real binary's TUI under tmux: `modeldeck demo` in a 160x45 pane,
//! driven with send-keys and read with capture-pane. What the screens must
//! show is taken from the scripting twins on the same world, so the TUI and
//! the CLI are checked against each other. After quitting, the shell prompt
//! is back, the alternate screen is left and the tty modes are restored.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod tmux;

use common::{BIN, TempDir, json};
use serde_json::Value;
use tmux::{PROMPT, Tmux};

/// Starts `modeldeck demo` in a fresh pane and waits for a populated Fleet.
fn start_demo(logs: &TempDir, extra: &str) -> Tmux {
    start_demo_with(logs, "", extra)
}

/// `start_demo` with `env` (`VAR=value `) before the command line.
fn start_demo_with(logs: &TempDir, env: &str, extra: &str) -> Tmux {
    let t = Tmux::start(160, 45);
    t.shell(&format!(
        "{env}MODELDECK_LOG_DIR='{}' '{BIN}' demo{extra}",
        logs.0.display()
    ));
    let status = json(&["status"]);
    let first = status["workloads"][0]["name"].as_str().unwrap().to_string();
    t.wait_for("a populated Fleet", |s| {
        s.contains("Fleet(") && s.contains(&first)
    });
    t
}

/// Asserts the UI is gone and the terminal is as the shell left it.
fn assert_restored(t: &Tmux) {
    let screen = t.wait_for("the shell prompt after quitting", |s| {
        s.lines()
            .rfind(|l| !l.trim().is_empty())
            .is_some_and(|l| l.starts_with(PROMPT.trim_end()))
    });
    assert!(
        !screen.contains("Fleet("),
        "the UI is still on screen:\n{screen}"
    );
    assert_eq!(
        t.pane_flag("alternate_on"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(t.pane_flag("mouse_any_flag"), "0", "mouse capture left on");
    assert_eq!(t.pane_flag("cursor_flag"), "1", "cursor left hidden");
    // The marker is computed by the shell, so the typed line never matches it.
    t.shell("clear; stty -a | tr ' ;' '\\n\\n' | grep -x -e '-*icanon' -e '-*echo' -e '-*isig' | sort | tr '\\n' ' '; echo MODES-$((40+2))");
    let is_modes = |l: &str| l.contains("MODES-42") && !l.contains("stty");
    let modes = t.wait_for("stty output", |s| s.lines().any(is_modes));
    let line = modes.lines().find(|l| is_modes(l)).unwrap_or_default();
    let words: Vec<&str> = line.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(words.contains(&mode), "{mode} not restored: {line}");
        assert!(
            !words.contains(&format!("-{mode}").as_str()),
            "-{mode}: {line}"
        );
    }
}

fn model_with_champion_and_challenger() -> (String, Value) {
    let models = json(&["models"]);
    let m = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["aliases"]["champion"].is_string() && m["aliases"]["challenger"].is_string())
        .expect("a model with champion and challenger")
        .clone();
    (m["name"].as_str().unwrap().to_string(), m)
}

#[test]
fn demo_filter_models_versions_compare_help_and_quit() {
    let logs = TempDir::new("tmux");
    let t = start_demo(&logs, "");
    let (model, m) = model_with_champion_and_challenger();

    // `/` narrows the Fleet to what `status --filter` lists.
    let all = json(&["status"]);
    let filtered = json(&["status", "--filter", &model]);
    let (n, total) = (
        filtered["count"].as_u64().unwrap(),
        all["count"].as_u64().unwrap(),
    );
    assert!(n > 0 && n < total, "{model}: {n} of {total}");
    t.type_text(&format!("/{model}"));
    t.keys(&["Enter"]);
    let rows = |v: &Value| v["workloads"].as_array().unwrap().clone();
    let shown = rows(&filtered);
    let texts: Vec<String> = shown
        .iter()
        .map(|w| {
            format!(
                "{} {} {} {}",
                w["cluster"], w["namespace"], w["name"], w["model"]
            )
        })
        .collect();
    // Workloads the filter drops, whose names cannot appear inside a kept row.
    let outside: Vec<String> = rows(&all)
        .iter()
        .filter(|w| {
            !shown
                .iter()
                .any(|f| f["name"] == w["name"] && f["namespace"] == w["namespace"])
        })
        .map(|w| w["name"].as_str().unwrap().to_string())
        .filter(|name| !texts.iter().any(|t| t.contains(name.as_str())))
        .collect();
    assert!(!outside.is_empty());
    let counted = format!("[{n}/{total}]");
    // Wait for the whole filtered frame, not only its title: tmux can
    // capture a frame half written, with rows of the one before.
    let screen = t.wait_for("the filtered Fleet", |s| {
        s.contains(&counted)
            && shown
                .iter()
                .filter(|_| shown.len() <= 30)
                .all(|w| s.contains(w["name"].as_str().unwrap()))
            && !outside.iter().any(|name| s.contains(name.as_str()))
    });
    for w in shown.iter().filter(|_| shown.len() <= 30) {
        assert!(
            screen.contains(w["name"].as_str().unwrap()),
            "{w} missing:\n{screen}"
        );
    }
    for name in &outside {
        assert!(
            !screen.contains(name.as_str()),
            "{name} should be filtered out:\n{screen}"
        );
    }

    // `:models`, filter to the model, Enter: its versions, newest first.
    t.type_text(":models");
    t.keys(&["Enter"]);
    t.wait_for("the Models screen", |s| s.contains("Models["));
    let only = format!("^{model}( |$)");
    t.type_text(&format!("/{only}"));
    t.keys(&["Enter"]);
    let title = format!("Models[1] </{only}>");
    t.wait_for("the filtered Models list", |s| s.contains(&title));
    t.keys(&["Enter"]);
    let versions = json(&["versions", &model]);
    let newest = versions["versions"][0]["version"].as_str().unwrap();
    // The oldest that fits on the screen.
    let list = versions["versions"].as_array().unwrap();
    let oldest = list[list.len().min(30) - 1]["version"]
        .as_str()
        .unwrap()
        .to_string();
    let title = format!("Versions({model})[{}]", versions["count"]);
    // The title can be on the terminal before the last rows are written
    // (tmux captures what has arrived): wait for the newest and the oldest.
    let (first, last) = (format!("v{newest} "), format!("v{oldest} "));
    let screen = t.wait_for("the Versions screen, newest to oldest", |s| {
        s.contains(&title) && s.contains(&first) && s.contains(&last)
    });
    let champion = m["aliases"]["champion"].as_str().unwrap();
    let challenger = m["aliases"]["challenger"].as_str().unwrap();
    assert!(
        screen.contains("champion") && screen.contains("challenger"),
        "{screen}"
    );

    // `:compare` with aliases: the metrics `compare` lists, with a verdict.
    t.type_text(&format!(":compare {model} champion challenger"));
    t.keys(&["Enter"]);
    let heading = format!("Compare({model}) A=v{champion} B=v{challenger}");
    t.wait_for("the Compare screen", |s| s.contains(&heading));
    let cmp = json(&["compare", &model, "champion", "challenger"]);
    let screen = t.wait_for("compared metrics", |s| {
        cmp["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .take(5)
            .all(|mt| s.contains(mt["key"].as_str().unwrap()))
    });
    let expect_verdict = match cmp["winner"].as_str().unwrap() {
        "a" => format!("A (v{champion}) leads"),
        "b" => format!("B (v{challenger}) leads"),
        _ => String::new(),
    };
    assert!(
        screen.contains(&expect_verdict),
        "no verdict {expect_verdict:?}:\n{screen}"
    );

    // `?` shows the key bindings; Esc closes them.
    t.keys(&["?"]);
    // Wait for the whole overlay: a capture can land between two writes of
    // one frame (CI caught the title with half the table drawn).
    t.wait_for("the Help screen", |s| {
        s.contains("Help(") && s.contains("this help") && s.contains("filter")
    });
    t.keys(&["Escape"]);
    t.wait_for("help closed", |s| {
        !s.contains("Help(") && s.contains("Compare(")
    });

    // `:q` quits from anywhere.
    t.type_text(":q");
    t.keys(&["Enter"]);
    assert_restored(&t);
}

#[test]
fn q_on_the_first_screen_quits_and_restores_the_terminal() {
    let logs = TempDir::new("tmux-q");
    let t = start_demo(&logs, "");
    t.keys(&["q"]);
    assert_restored(&t);
    // The log went to the file, not the screen.
    let files: Vec<_> = std::fs::read_dir(&logs.0).unwrap().collect();
    assert_eq!(files.len(), 1, "{files:?}");
}

#[test]
fn ctrl_c_with_mouse_off_quits_and_restores_the_terminal() {
    let logs = TempDir::new("tmux-c");
    let t = start_demo(&logs, " --no-mouse");
    assert_eq!(
        t.pane_flag("mouse_any_flag"),
        "0",
        "--no-mouse captured the mouse"
    );
    t.keys(&["C-c"]);
    assert_restored(&t);
}

#[test]
fn screen_flag_opens_a_command_first() {
    let logs = TempDir::new("tmux-screen");
    let t = Tmux::start(160, 45);
    t.shell(&format!(
        "MODELDECK_LOG_DIR='{}' '{BIN}' --sandbox --screen models",
        logs.0.display()
    ));
    let models = json(&["models"]);
    let title = format!("Models[{}]", models["count"]);
    let screen = t.wait_for("the Models screen first", |s| s.contains(&title));
    for m in models["models"].as_array().unwrap() {
        assert!(
            screen.contains(m["name"].as_str().unwrap()),
            "{m}:\n{screen}"
        );
    }
    // Models is the root screen now: `q` quits.
    t.keys(&["q"]);
    assert_restored(&t);
}

#[test]
fn a_panic_restores_the_terminal_and_the_message_is_readable() {
    let logs = TempDir::new("tmux-panic");
    // Without a backtrace (CI sets RUST_BACKTRACE), so the message fits the pane.
    let t = start_demo_with(
        &logs,
        "MODELDECK_DEBUG_PANIC_KEY=Z RUST_BACKTRACE=0 ",
        "; echo EXIT-$?",
    );
    assert_eq!(
        t.pane_flag("alternate_on"),
        "1",
        "the UI is on the alternate screen"
    );
    t.keys(&["Z"]);
    // The panic message is printed on the restored main screen, readable.
    // A line of its own (the typed command line contains "EXIT-" too).
    let screen = t.wait_for("the exit status after the panic", |s| {
        s.lines().any(|l| l.starts_with("EXIT-"))
    });
    assert!(
        screen.contains("a deliberate panic, to check that the terminal is restored"),
        "{screen}"
    );
    assert!(
        screen.lines().any(|l| l.trim_end() == "EXIT-101"),
        "a panic exits 101:\n{screen}"
    );
    assert_restored(&t);
}
