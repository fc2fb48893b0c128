//! The Promotions screens over the sandbox demo world and a real
//! promotion service (journal in a temp dir, the world's virtual clock, a
//! pause that advances the world): snapshots of the list, the detail with
//! a failing gate and disabled actions, the confirm dialog and the
//! not-configured state; keys driving the whole review (inbox, detail,
//! approve as a second user, execute, rollout progress, final state); the
//! requester's self-approval and a read-only user shown disabled with
//! their reasons; and the real event loop doing the same with one key each.

// Test helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use async_trait::async_trait;
use common::Harness;
use common::fixture::NOW;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_promotion::service::Pause;
use modeldeck_promotion::{ActionKind, Journal, JournalOptions, PolicySet, Promotions};
use modeldeck_sandbox::{ClockMode, Sandbox};
use modeldeck_tui::app::Screen;
use modeldeck_tui::jobs::{self, Job, JobOutcome};
use modeldeck_tui::keymap::ScreenKind;
use modeldeck_tui::{Action, TuiOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const POLICY: &str = r#"
[default]
min_approvals = 1
approval_ttl = "24h"
bake = "30s"
rollout_poll = "5s"
rollout_timeout = "10m"

[[rules]]
models = "fraud-*"
[rules.policy]
min_approvals = 1
metrics = [{ name = "auc", tolerance = 0.002 }, { name = "log_loss" }]
bake = "30s"
rollout_poll = "5s"
rollout_timeout = "10m"
"#;

/// The same, with a drift threshold the demo's fraud-detector exceeds.
const STRICT: &str = r#"
[default]
min_approvals = 1
[[rules]]
models = "fraud-*"
[rules.policy]
min_approvals = 1
drift_max_psi = 0.05
metrics = [{ name = "auc", tolerance = 0.002 }, { name = "log_loss" }]
"#;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let p = std::env::temp_dir().join(format!(
        "modeldeck-tui-promo-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

/// Lets time pass in the world instead of sleeping.
struct WorldPause(Sandbox);

#[async_trait]
impl Pause for WorldPause {
    async fn pause(&self, d: Duration) {
        self.0.advance(d);
        tokio::task::yield_now().await;
    }
}

struct World {
    sb: Sandbox,
    console: Console,
    svc: Arc<Promotions>,
    _dir: TempDir,
}

async fn world(policy: &str) -> World {
    let sb = Sandbox::demo_with(42, ClockMode::Virtual { start: NOW }).unwrap();
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            profile: "demo".into(),
            sandbox: true,
            clock: sb.clock(),
            ..Default::default()
        },
    );
    console.refresh_all().await;
    let dir = temp_dir();
    let journal = Journal::open(
        dir.0.join("journal.jsonl"),
        JournalOptions {
            head_key: None,
            fsync: false,
        },
    )
    .unwrap();
    let policies: PolicySet = toml::from_str(policy).unwrap();
    let svc = Promotions::from_console(&console, policies, Arc::new(journal))
        .with_pause(Arc::new(WorldPause(sb.clone())));
    World {
        sb,
        console,
        svc: Arc::new(svc),
        _dir: dir,
    }
}

impl World {
    fn as_user(&self, user: &str) {
        self.sb.set_identity(user, &["system:authenticated"]);
    }

    /// Runs every job the app asked for, feeding the answers back, until
    /// it asks for nothing more.
    async fn run_jobs(&self, t: &mut Harness) {
        while let Some(req) = t.requests.pop() {
            let r = jobs::execute_with(&self.console, Some(&self.svc), req).await;
            t.act(Action::JobDone(Box::new(r)));
        }
    }

    /// An app with promotions on, at `w` x `h`, the first list read.
    async fn harness(&self, w: u16, h: u16) -> Harness {
        let mut t = Harness::new((*self.console.snapshot()).clone(), w, h);
        let reqs = t.app.enable_promotions();
        t.requests.extend(reqs);
        t.app.settle();
        self.run_jobs(&mut t).await;
        t
    }

    /// Opens the inbox (`p`) and the first promotion (Enter).
    async fn open_detail(&self, t: &mut Harness) {
        t.type_str("p");
        self.run_jobs(t).await;
        assert_eq!(t.app.screen(), ScreenKind::Promotions);
        t.key(KeyCode::Enter);
        self.run_jobs(t).await;
        assert_eq!(t.app.screen(), ScreenKind::Promotion);
    }
}

fn detail(t: &Harness) -> &modeldeck_tui::views::promotions::detail::PromotionView {
    match t.app.stack().last() {
        Some(Screen::Promotion(v)) => v,
        _ => panic!("the promotion detail is on top"),
    }
}

fn snap(t: &mut Harness, name: &str, w: u16, h: u16) {
    let screen = t.draw();
    assert!(!screen.contains('\u{1b}'));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.terminal.backend());
}

#[tokio::test]
async fn not_configured_says_so() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(POLICY).await;
        let mut t = Harness::new((*world.console.snapshot()).clone(), w, h);
        t.command("promotions");
        assert_eq!(t.app.screen(), ScreenKind::Promotions);
        assert!(t.requests.is_empty(), "nothing to ask without a service");
        let screen = t.draw();
        assert!(screen.contains("not configured"), "{screen}");
        snap(&mut t, "promotions_not_configured", w, h);
        // The request key says so too.
        t.command("models");
        t.type_str("/fraud");
        t.key(KeyCode::Enter);
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        t.type_str("P");
        assert!(t.app.dialog().is_none());
        let flash = t.app.flash().unwrap();
        assert!(flash.error && flash.text.contains("not configured"));
    }
}

#[tokio::test]
async fn list_shows_the_inbox_first() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(POLICY).await;
        world.as_user("alice");
        let mut t = world.harness(w, h).await;
        t.type_str("p");
        world.run_jobs(&mut t).await;
        let promo = t.app.promotions();
        assert_eq!(promo.inbox_len(), 1);
        let screen = t.draw();
        assert!(screen.contains("✉"), "{screen}");
        assert!(screen.contains("fraud-detector"), "{screen}");
        snap(&mut t, "promotions_list", w, h);
    }
}

#[tokio::test]
async fn fleet_marks_workloads_with_an_open_promotion() {
    let world = world(POLICY).await;
    let mut t = world.harness(200, 50).await;
    assert_eq!(t.app.promotions().marks.len(), 3);
    let screen = t.draw();
    let marked: Vec<&str> = screen.lines().filter(|l| l.contains("│⇡")).collect();
    assert_eq!(marked.len(), 3, "{screen}");
    assert!(
        marked.iter().all(|l| l.contains("fraud-detector")),
        "{screen}"
    );
    assert!(screen.contains("3 in open promotions"), "{screen}");
}

#[tokio::test]
async fn detail_shows_a_failing_gate_and_the_requesters_disabled_actions() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(STRICT).await;
        world.as_user("dana.kowalski");
        let mut t = world.harness(w, h).await;
        // The requester's inbox is empty; the list still shows it.
        t.type_str("p");
        world.run_jobs(&mut t).await;
        assert_eq!(t.app.promotions().inbox_len(), 0);
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        let rv = detail(&t).review().expect("the review arrived");
        let drift = rv
            .status
            .promotion
            .gates
            .iter()
            .find(|g| g.name == "drift")
            .unwrap()
            .clone();
        assert_eq!(drift.status, modeldeck_core::domain::GateStatus::Fail);
        assert!(drift.detail.contains("0.05"), "{}", drift.detail);
        snap(&mut t, "promotion_detail_failing_gate", w, h);
        if w == 200 {
            let screen = t.draw();
            assert!(screen.contains("FAIL"), "{screen}");
            assert!(screen.contains(&drift.detail[..20]), "{screen}");
            assert!(screen.contains("four-eyes rule"), "{screen}");
            assert!(screen.contains("0 of 1 required approvals"), "{screen}");
        } else {
            // The gates are further down: scroll to them.
            for _ in 0..12 {
                t.type_str("j");
            }
            snap(&mut t, "promotion_detail_failing_gate_scrolled", w, h);
        }
        // Self-approval is refused before any dialog opens.
        t.type_str("a");
        assert!(t.app.dialog().is_none());
        let flash = t.app.flash().unwrap();
        assert!(flash.error, "{flash:?}");
        assert!(flash.text.contains("approve is not available"), "{flash:?}");
        assert!(flash.text.contains("four-eyes"), "{flash:?}");
    }
}

#[tokio::test]
async fn confirm_dialog_takes_a_comment_and_esc_cancels() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(POLICY).await;
        world.as_user("alice");
        let mut t = world.harness(w, h).await;
        world.open_detail(&mut t).await;
        t.type_str("r");
        assert!(t.app.dialog().is_some());
        // A rejection needs a comment: Enter on an empty one is refused.
        t.key(KeyCode::Enter);
        let d = t.app.dialog().expect("still open");
        assert!(d.error.as_deref().unwrap().contains("comment"));
        t.type_str("AUC gain is within noise");
        snap(&mut t, "promotion_confirm_dialog", w, h);
        t.key(KeyCode::Esc);
        assert!(t.app.dialog().is_none());
        assert!(t.requests.is_empty(), "Esc does nothing");
        assert!(t.app.flash().unwrap().text.contains("nothing was done"));
    }
}

/// The review from a second user's keys to Promoted, watching the rollout.
#[tokio::test]
async fn reviewer_approves_executes_and_watches_the_rollout() {
    let world = world(POLICY).await;
    world.as_user("alice");
    let mut t = world.harness(200, 50).await;
    world.open_detail(&mut t).await;
    let rv = detail(&t).review().unwrap();
    assert!(rv.check(ActionKind::Approve).unwrap().allowed());

    // Approve with a comment.
    t.type_str("a");
    t.type_str("offline numbers and shadow traffic checked");
    t.key(KeyCode::Enter);
    assert!(t.app.dialog().is_none());
    assert!(t.app.promotions().acting.is_some());
    world.run_jobs(&mut t).await;
    assert!(t.app.promotions().acting.is_none());
    let flash = t.app.flash().unwrap().text.clone();
    assert!(flash.contains("approved fraud-detector v8"), "{flash}");
    let rv = detail(&t).review().unwrap();
    assert_eq!(
        rv.status.promotion.state,
        modeldeck_core::domain::PromotionState::Approved
    );
    assert_eq!(rv.approvals.len(), 1);
    assert_eq!(
        rv.approvals[0].record.approval.comment,
        "offline numbers and shadow traffic checked"
    );
    let screen = t.draw();
    assert!(screen.contains("alice approved"), "{screen}");

    // Execute; the job runs in the background while the UI keeps going.
    t.type_str("x");
    t.key(KeyCode::Enter);
    let act = t
        .requests
        .iter()
        .position(|r| matches!(r.job, Job::Act(_)))
        .expect("the execute job");
    let req = t.requests.remove(act);
    let (console, svc) = (world.console.clone(), world.svc.clone());
    let task = tokio::spawn(async move { jobs::execute_with(&console, Some(&svc), req).await });
    let clock = world.sb.clock();
    let (mut saw_running, mut saw_progress) = (false, false);
    while !task.is_finished() {
        tokio::task::yield_now().await;
        world.console.refresh_all().await;
        t.act(Action::Snapshot(world.console.snapshot()));
        t.act(Action::Tick(clock.now()));
        world.run_jobs(&mut t).await;
        let screen = t.draw();
        saw_running |= screen.contains("⟳ execute running");
        saw_progress |= screen.contains("Progressing") || screen.contains("Executing");
    }
    assert!(saw_running, "the detail said the execute was running");
    assert!(saw_progress, "the rollout progress was visible");
    // Keys during the run were refused, not queued.
    let done = task.await.unwrap();
    assert!(matches!(&done.outcome, JobOutcome::Acted(a) if a.result.is_ok()));
    t.act(Action::JobDone(Box::new(done)));
    world.console.refresh_all().await;
    t.act(Action::Snapshot(world.console.snapshot()));
    world.run_jobs(&mut t).await;
    let flash = t.app.flash().unwrap().text.clone();
    assert!(flash.starts_with("✓ execute: Promoted"), "{flash}");
    let rv = detail(&t).review().unwrap();
    assert_eq!(
        rv.status.promotion.state,
        modeldeck_core::domain::PromotionState::Promoted
    );
    assert!(rv.check(ActionKind::Rollback).unwrap().allowed());
    let screen = t.draw();
    assert!(screen.contains("Promoted"), "{screen}");
    assert!(screen.contains("serves v8"), "{screen}");
    // The Fleet mark is gone once the list is re-read.
    assert!(t.app.promotions().marks.is_empty());
}

#[tokio::test]
async fn read_only_user_sees_every_action_disabled_with_its_reason() {
    let world = world(POLICY).await;
    world.as_user("reader");
    world.sb.set_access_rule("*", "*", false);
    let mut t = world.harness(200, 50).await;
    t.type_str("p");
    world.run_jobs(&mut t).await;
    assert_eq!(
        t.app.promotions().inbox_len(),
        0,
        "RBAC keeps it out of the inbox"
    );
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    let rv = detail(&t).review().unwrap();
    for c in &rv.actions {
        assert!(!c.allowed(), "{c:?}");
    }
    let screen = t.draw();
    assert!(screen.contains("Kubernetes RBAC"), "{screen}");
    assert!(!screen.contains("✓ available"), "{screen}");
    for k in ["a", "r", "x", "u", "c"] {
        t.type_str(k);
        assert!(t.app.dialog().is_none(), "{k} opened a dialog");
        let f = t.app.flash().unwrap();
        assert!(f.error && f.text.contains("is not available"), "{f:?}");
    }
    assert!(t.requests.is_empty());
}

#[tokio::test]
async fn request_from_versions_targets_the_models_workloads() {
    let world = world(POLICY).await;
    world.as_user("erin");
    let mut t = world.harness(200, 50).await;
    t.command("models");
    t.type_str("/recsys");
    t.key(KeyCode::Enter);
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    assert_eq!(t.app.screen(), ScreenKind::Versions);
    t.type_str("P");
    let d = t.app.dialog().expect("the request dialog");
    assert_eq!(d.fields[0].value, "champion");
    assert!(d.lines.iter().any(|l| l.contains("2 workloads")), "{d:?}");
    t.type_str("ranker retrained");
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    let flash = t.app.flash().unwrap();
    assert!(!flash.error, "{flash:?}");
    assert!(flash.text.contains("requested recsys-ranker"), "{flash:?}");
    let all = world.svc.list(Some("recsys-ranker")).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].promotion.requested_by, "erin");
    assert_eq!(all[0].promotion.reason, "ranker retrained");
    assert_eq!(all[0].promotion.targets.len(), 2);
}

fn key(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn enter() -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )))
}

/// The real loop: `p`, Enter, `a` + comment + Enter, `x` + Enter.
#[tokio::test(start_paused = true)]
async fn event_loop_takes_a_promotion_to_promoted_with_one_key_each() {
    let world = world(POLICY).await;
    world.as_user("alice");
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let opts = TuiOptions {
        promotions: Some(world.svc.clone()),
        ..Default::default()
    };
    let driver = async move {
        let step = |events: Vec<std::io::Result<Event>>| {
            for e in events {
                tx.unbounded_send(e).unwrap();
            }
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        step(vec![key('p')]);
        tokio::time::sleep(Duration::from_secs(1)).await;
        step(vec![enter()]);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut keys = vec![key('a')];
        keys.extend("looks right".chars().map(key));
        keys.push(enter());
        step(keys);
        tokio::time::sleep(Duration::from_secs(2)).await;
        step(vec![key('x'), enter()]);
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(tx);
    };
    let (result, ()) = tokio::join!(
        modeldeck_tui::run_on(&mut terminal, world.console.clone(), opts, rx),
        driver
    );
    result.unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Promotion(promo-"), "{screen}");
    assert!(screen.contains("✓ execute: Promoted"), "{screen}");
    let all = world.svc.list(Some("fraud-detector")).await.unwrap();
    assert_eq!(
        all[0].promotion.state,
        modeldeck_core::domain::PromotionState::Promoted
    );
}

#[tokio::test]
async fn hostile_reasons_and_comments_are_drawn_harmless() {
    let world = world(POLICY).await;
    world.as_user("mallory");
    let p = world
        .svc
        .request(modeldeck_promotion::NewPromotion {
            model: "recsys-ranker".into(),
            version: "8".into(),
            reason: "fine\u{1b}]0;pwned\u{7} \u{202E}txet desrever\u{1b}[2J".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    world.as_user("eve\u{1b}[31m");
    world
        .svc
        .approve(&p.id, "ok\u{1b}[1;1H\u{9b}overwrite")
        .await
        .unwrap();
    world.as_user("alice");
    let mut t = world.harness(200, 50).await;
    t.type_str("p");
    world.run_jobs(&mut t).await;
    let row = t
        .app
        .promotions()
        .rows()
        .position(|r| r.status.promotion.id == p.id)
        .unwrap();
    for _ in 0..row {
        t.type_str("j");
    }
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    assert_eq!(detail(&t).id(), p.id);
    let screen = t.draw();
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202E}'] {
        assert!(!screen.contains(bad), "{bad:?} reached the screen");
    }
    assert!(screen.contains("txet desrever"), "{screen}");
    assert!(screen.contains('\u{FFFD}'), "{screen}");
}

#[tokio::test]
async fn quitting_while_an_action_runs_asks_first() {
    let world = world(POLICY).await;
    world.as_user("alice");
    let mut t = world.harness(80, 24).await;
    world.open_detail(&mut t).await;
    t.type_str("a");
    t.key(KeyCode::Enter);
    assert!(t.app.promotions().acting.is_some());
    t.ctrl('c');
    assert!(!t.app.should_quit());
    assert!(t.app.flash().unwrap().text.contains("quit again"));
    t.ctrl('c');
    assert!(t.app.should_quit());
}

#[tokio::test]
async fn a_workload_changed_after_approval_disables_execute_with_what_changed() {
    let world = world(POLICY).await;
    let id = {
        let all = world.svc.list(Some("fraud-detector")).await.unwrap();
        all[0].promotion.id.clone()
    };
    world.as_user("alice");
    world.svc.approve(&id, "ok").await.unwrap();
    let target = world.svc.list(Some("fraud-detector")).await.unwrap()[0]
        .promotion
        .targets[0]
        .clone();
    world
        .sb
        .backends()
        .cluster
        .set_served_version(&target, "6", None)
        .await
        .unwrap();
    world.console.refresh_all().await;
    world.as_user("carol");
    let mut t = world.harness(200, 50).await;
    t.type_str("p");
    world.run_jobs(&mut t).await;
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    let screen = t.draw();
    assert!(
        screen.contains("x execute   ✗ refused: the state changed since it was approved"),
        "{screen}"
    );
    assert!(screen.contains("approved (not counted)"), "{screen}");
    t.type_str("x");
    assert!(t.app.dialog().is_none());
    assert!(t.app.flash().unwrap().text.contains("changed since"));
}

/// The sandbox's cluster without logs: every call delegated except
/// `log_tail`, left at the port's default (`Unsupported`), as an adapter
/// that cannot read pod logs answers.
struct NoLogs(Arc<dyn modeldeck_core::ports::Cluster>);

#[async_trait]
impl modeldeck_core::ports::Cluster for NoLogs {
    fn clusters(&self) -> Vec<String> {
        self.0.clusters()
    }
    async fn list_workloads(
        &self,
    ) -> modeldeck_core::error::PortResult<Vec<modeldeck_core::domain::Workload>> {
        self.0.list_workloads().await
    }
    async fn events(
        &self,
        t: &modeldeck_core::domain::WorkloadRef,
    ) -> modeldeck_core::error::PortResult<Vec<modeldeck_core::domain::ClusterEvent>> {
        self.0.events(t).await
    }
    async fn set_served_version(
        &self,
        t: &modeldeck_core::domain::WorkloadRef,
        v: &str,
        rv: Option<&str>,
    ) -> modeldeck_core::error::PortResult<modeldeck_core::domain::Workload> {
        self.0.set_served_version(t, v, rv).await
    }
    async fn whoami(
        &self,
        c: &str,
    ) -> modeldeck_core::error::PortResult<modeldeck_core::domain::Identity> {
        self.0.whoami(c).await
    }
    async fn can_i(
        &self,
        c: &str,
        check: &modeldeck_core::domain::AccessCheck,
    ) -> modeldeck_core::error::PortResult<bool> {
        self.0.can_i(c, check).await
    }
}

#[tokio::test]
async fn a_cluster_without_logs_says_so_in_the_detail() {
    let sb = Sandbox::demo_with(42, ClockMode::Virtual { start: NOW }).unwrap();
    let mut backends = sb.backends();
    backends.cluster = Arc::new(NoLogs(backends.cluster.clone()));
    let console = Console::new(
        backends,
        ConsoleOptions {
            clock: sb.clock(),
            ..Default::default()
        },
    );
    console.refresh_all().await;
    let dir = temp_dir();
    let journal = Journal::open(dir.0.join("j.jsonl"), JournalOptions::default()).unwrap();
    let policies: PolicySet = toml::from_str(POLICY).unwrap();
    let svc = Arc::new(Promotions::from_console(
        &console,
        policies,
        Arc::new(journal),
    ));
    let world = World {
        sb,
        console,
        svc,
        _dir: dir,
    };
    let mut t = world.harness(200, 50).await;
    world.open_detail(&mut t).await;
    let screen = t.draw();
    assert!(
        screen.contains("logs unsupported here: this cluster adapter cannot read pod logs"),
        "{screen}"
    );
    // Events still arrive.
    assert!(screen.contains("Recent events"), "{screen}");
}
