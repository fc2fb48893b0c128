//! The event loop. Terminal events, snapshot changes, job results and the
//! tick become actions; after each wake-up every pending input is drained
//! and applied, the app settles once and the frame is drawn once, only if
//! something changed. Jobs run in spawned tasks, at most one per slot (a
//! newer request aborts the older one); nothing here awaits the network
//! while handling input or drawing.

use crate::TuiOptions;
use crate::action::Action;
use crate::app::App;
use crate::jobs::{self, JobRequest, JobResult, JobSlot};
use crate::keymap;
use crate::render::render;
use crate::terminal::{PanicHook, TerminalGuard};
use crossterm::event::{Event, EventStream};
use futures::{FutureExt, StreamExt};
use modeldeck_core::Console;
use modeldeck_core::console::LiveTasks;
use modeldeck_promotion::Promotions;
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;

/// The environment variable naming a key that makes the UI panic (tests).
pub const PANIC_KEY_VAR: &str = "MODELDECK_DEBUG_PANIC_KEY";

/// Most inputs applied before a frame is drawn; keeps a flood of events
/// from starving the screen.
const MAX_BATCH: usize = 256;

/// Spawns jobs and keeps their abort handles by slot.
struct JobRunner {
    console: Console,
    promotions: Option<Arc<Promotions>>,
    tx: mpsc::UnboundedSender<Box<JobResult>>,
    inflight: HashMap<JobSlot, AbortHandle>,
}

impl JobRunner {
    fn spawn_all(&mut self, reqs: Vec<JobRequest>) {
        for req in reqs {
            let slot = req.job.slot();
            if let Some(old) = self.inflight.remove(&slot) {
                old.abort();
            }
            let (console, tx) = (self.console.clone(), self.tx.clone());
            let promotions = self.promotions.clone();
            let task = tokio::spawn(async move {
                let r = jobs::execute_with(&console, promotions.as_deref(), req).await;
                let _ = tx.send(Box::new(r));
            });
            self.inflight.insert(slot, task.abort_handle());
        }
    }
}

impl Drop for JobRunner {
    fn drop(&mut self) {
        for h in self.inflight.values() {
            h.abort();
        }
    }
}

/// Runs the UI on the real terminal; see [`crate::run`].
pub(crate) async fn run(console: Console, opts: TuiOptions) -> io::Result<()> {
    let mut guard = TerminalGuard::enter(opts.mouse)?;
    let hook = PanicHook::install(opts.mouse);
    let stop = || hook.fired();
    let result = event_loop(
        &mut guard.terminal,
        &console,
        &opts,
        EventStream::new(),
        &stop,
    )
    .await;
    drop(guard);
    drop(hook);
    result
}

/// A backend error as an io::Error (crossterm's already is one).
fn to_io<E: std::error::Error + Send + Sync + 'static>(e: E) -> io::Error {
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
    match boxed.downcast::<io::Error>() {
        Ok(io) => *io,
        Err(other) => io::Error::other(other),
    }
}

enum Wake {
    Term(Event),
    Snapshot,
    Job(Box<JobResult>),
    Tick,
    Idle,
}

/// The loop itself, on any backend and any source of terminal events;
/// returns when the user quits, the events end, or `stop()` says so (a
/// panic restored the terminal).
pub(crate) async fn event_loop<B, S>(
    terminal: &mut Terminal<B>,
    console: &Console,
    opts: &TuiOptions,
    mut events: S,
    stop: &dyn Fn() -> bool,
) -> io::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: futures::Stream<Item = io::Result<Event>> + Unpin,
{
    let size = terminal.size().map_err(to_io)?;
    let mut snap_rx = console.subscribe();
    let first = snap_rx.borrow_and_update().clone();
    let mut app = App::new(first, size.width, size.height);
    let (tx, mut job_rx) = mpsc::unbounded_channel();
    let mut jobs = JobRunner {
        console: console.clone(),
        promotions: opts.promotions.clone(),
        tx,
        inflight: HashMap::new(),
    };
    if opts.promotions.is_some() {
        jobs.spawn_all(app.enable_promotions());
    }
    if let Some(start) = &opts.start_screen {
        jobs.spawn_all(app.update(Action::Command(start.clone())));
    }
    // One full read first (metrics need the workloads), then live refresh.
    let (ready_tx, mut ready_rx) = oneshot::channel::<()>();
    let initial = {
        let c = console.clone();
        tokio::spawn(async move {
            c.refresh_all().await;
            let _ = ready_tx.send(());
        })
    };
    let mut live: Option<LiveTasks> = None;
    let mut tick = tokio::time::interval(opts.tick.max(std::time::Duration::from_millis(10)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let clock = console.options().clock.clone();
    // For the test of the panic hook (tmux): this key makes the UI panic,
    // as a bug would. Unset, nothing changes.
    let panic_key = std::env::var(PANIC_KEY_VAR)
        .ok()
        .and_then(|s| s.chars().next());

    let outcome = loop {
        if stop() {
            break Err(io::Error::other(
                "a panic restored the terminal; the UI stopped (see the log)",
            ));
        }
        app.settle();
        if app.needs_draw() {
            if let Err(e) = terminal.draw(|f| render(f, &app)) {
                break Err(to_io(e));
            }
            app.mark_drawn();
        }
        if app.should_quit() {
            break Ok(());
        }
        let wake = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => Wake::Term(ev),
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            r = snap_rx.changed() => if r.is_ok() { Wake::Snapshot } else { Wake::Idle },
            Some(res) = job_rx.recv() => Wake::Job(res),
            _ = tick.tick() => Wake::Tick,
            _ = &mut ready_rx, if live.is_none() => {
                live = Some(console.spawn_live());
                Wake::Idle
            }
        };
        // Drain whatever else is already waiting, then draw once. A newer
        // snapshot is taken once per batch: it replaces the older anyway.
        let mut snapshot_queued = matches!(wake, Wake::Snapshot);
        let mut pending = vec![wake];
        let (mut failed, mut ended) = (None, false);
        while pending.len() < MAX_BATCH {
            if let Some(next) = events.next().now_or_never() {
                match next {
                    Some(Ok(ev)) => pending.push(Wake::Term(ev)),
                    Some(Err(e)) => failed = Some(e),
                    None => ended = true,
                }
                if failed.is_some() || ended {
                    break;
                }
            } else if let Ok(res) = job_rx.try_recv() {
                pending.push(Wake::Job(res));
            } else if !snapshot_queued && snap_rx.has_changed().unwrap_or(false) {
                snapshot_queued = true;
                pending.push(Wake::Snapshot);
            } else {
                break;
            }
        }
        if let Some(e) = failed {
            break Err(e);
        }
        for w in pending {
            if let (Some(k), Wake::Term(Event::Key(ev))) = (panic_key, &w)
                && ev.code == crossterm::event::KeyCode::Char(k)
            {
                panic!(
                    "{PANIC_KEY_VAR}: a deliberate panic, to check that the terminal is restored"
                );
            }
            let action = match w {
                Wake::Term(ev) => keymap::handle_event(app.screen(), app.typing(), ev),
                Wake::Snapshot => Some(Action::Snapshot(snap_rx.borrow_and_update().clone())),
                Wake::Job(r) => Some(Action::JobDone(r)),
                Wake::Tick => Some(Action::Tick(clock.now())),
                Wake::Idle => None,
            };
            if let Some(a) = action {
                jobs.spawn_all(app.update(a));
            }
        }
        if ended {
            app.settle();
            if app.needs_draw()
                && let Err(e) = terminal.draw(|f| render(f, &app))
            {
                break Err(to_io(e));
            }
            break Ok(());
        }
    };
    initial.abort();
    drop(live);
    drop(jobs);
    outcome
}
