//! The application state and its one update function. [`App::update`] turns
//! an [`Action`] into a state change and returns the async work to start;
//! [`App::settle`] recomputes derived rows once per batch of actions, just
//! before drawing. Per-screen logic lives in `views/`; this file routes.

use crate::action::{Action, PromptKey};
use crate::command::{self, Command};
use crate::jobs::JobRequest;
use crate::keymap::ScreenKind;
use crate::prompt::{Prompt, PromptKind};
use crate::render;
use crate::views::compare::CompareView;
use crate::views::drift::DriftScreen;
use crate::views::fleet::FleetView;
use crate::views::help::HelpView;
use crate::views::models::ModelsView;
use crate::views::promotions::PromoState;
use crate::views::promotions::detail::PromotionView;
use crate::views::promotions::dialog::Dialog;
use crate::views::versions::VersionsView;
use crate::views::workload::WorkloadView;
use crate::views::{Ctx, Scope, Transition};
use modeldeck_core::Snapshot;
use modeldeck_core::domain::Timestamp;
use ratatui::layout::Rect;
use std::sync::Arc;

// Borrows the fields a screen update reads (and the ticket counter) while
// leaving the stack and the Fleet/Models states free to borrow mutably.
macro_rules! ctx {
    ($app:ident, $reqs:expr) => {
        Ctx::new(
            &$app.snap,
            $app.now,
            &$app.scope,
            render::areas($app.area).body,
            $reqs,
            &mut $app.next_ticket,
        )
    };
}

mod drift;
mod promo;

/// How long a footer message stays.
const FLASH_MS: i64 = 5_000;

/// A screen on the stack. Fleet and Models keep their state in the app
/// (their filter and cursor survive leaving them); the others own theirs.
#[derive(Debug)]
pub enum Screen {
    /// The Fleet.
    Fleet,
    /// Registered models.
    Models,
    /// Versions of a model.
    Versions(Box<VersionsView>),
    /// Two versions compared.
    Compare(Box<CompareView>),
    /// A workload's detail and events.
    Workload(Box<WorkloadView>),
    /// A model version's drift.
    Drift(Box<DriftScreen>),
    /// Promotions: inbox and list (state kept in the app).
    Promotions,
    /// One promotion's detail.
    Promotion(Box<PromotionView>),
    /// Key bindings.
    Help(HelpView),
}

impl Screen {
    /// Which kind of screen this is.
    pub fn kind(&self) -> ScreenKind {
        match self {
            Screen::Fleet => ScreenKind::Fleet,
            Screen::Models => ScreenKind::Models,
            Screen::Versions(_) => ScreenKind::Versions,
            Screen::Compare(_) => ScreenKind::Compare,
            Screen::Workload(_) => ScreenKind::Workload,
            Screen::Drift(_) => ScreenKind::Drift,
            Screen::Promotions => ScreenKind::Promotions,
            Screen::Promotion(_) => ScreenKind::Promotion,
            Screen::Help(_) => ScreenKind::Help,
        }
    }
}

/// A footer message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// The text.
    pub text: String,
    /// Shown as an error.
    pub error: bool,
    /// Hidden from this time on.
    pub until: Timestamp,
}

/// The whole UI state.
#[derive(Debug)]
pub struct App {
    pub(crate) snap: Arc<Snapshot>,
    pub(crate) now: Timestamp,
    area: Rect,
    pub(crate) scope: Scope,
    pub(crate) fleet: FleetView,
    pub(crate) models: ModelsView,
    pub(crate) stack: Vec<Screen>,
    pub(crate) promo: PromoState,
    pub(crate) dialog: Option<Dialog>,
    prompt: Option<Prompt>,
    flash: Option<Flash>,
    pub(crate) next_ticket: u64,
    needs_draw: bool,
    quit: bool,
    quit_armed: bool,
}

impl App {
    /// An app showing `snap` on a `width` x `height` terminal, on the Fleet.
    /// "Now" starts at the snapshot's time until the first tick.
    pub fn new(snap: Arc<Snapshot>, width: u16, height: u16) -> App {
        App {
            now: snap.at,
            snap,
            area: Rect::new(0, 0, width, height),
            scope: Scope::default(),
            fleet: FleetView::default(),
            models: ModelsView::default(),
            stack: vec![Screen::Fleet],
            promo: PromoState::default(),
            dialog: None,
            prompt: None,
            flash: None,
            next_ticket: 0,
            needs_draw: true,
            quit: false,
            quit_armed: false,
        }
    }

    /// Applies one action; returns the jobs to start. Derived rows are not
    /// recomputed here but in [`App::settle`], once per batch.
    pub fn update(&mut self, action: Action) -> Vec<JobRequest> {
        let mut requests = Vec::new();
        let changed = self.apply(action, &mut requests);
        self.needs_draw |= changed;
        requests
    }

    fn apply(&mut self, action: Action, reqs: &mut Vec<JobRequest>) -> bool {
        match action {
            Action::Tick(now) => {
                let new_second = now.0.div_euclid(1000) != self.now.0.div_euclid(1000);
                self.now = now;
                let expired = self.flash.as_ref().is_some_and(|f| f.until <= now);
                if expired {
                    self.flash = None;
                }
                self.promo_tick(reqs);
                self.drift_tick(reqs);
                self.card_tick(reqs);
                new_second || expired
            }
            Action::Resize { width, height } => {
                self.area = Rect::new(0, 0, width, height);
                true
            }
            Action::Snapshot(s) => {
                self.snap = s;
                self.on_snapshot(reqs);
                true
            }
            Action::JobDone(r) => self.on_job(&r, reqs),
            Action::Quit => {
                self.request_quit();
                true
            }
            Action::Prompt(k) => self.on_prompt(k, reqs),
            Action::Command(line) => {
                self.run_command(&line, reqs);
                true
            }
            other => {
                self.settle();
                self.flash = None;
                self.on_screen_action(other, reqs)
            }
        }
    }

    /// The card panel on top follows a selection a filter changed.
    fn card_tick(&mut self, reqs: &mut Vec<JobRequest>) {
        let mut ctx = ctx!(self, reqs);
        match self.stack.last_mut() {
            Some(Screen::Models) => self.models.want_card(&mut ctx),
            Some(Screen::Versions(v)) => v.want_card(&mut ctx),
            _ => {}
        }
    }

    fn on_snapshot(&mut self, reqs: &mut Vec<JobRequest>) {
        let mut ctx = ctx!(self, reqs);
        for s in self.stack.iter_mut() {
            match s {
                Screen::Versions(v) => v.on_snapshot(&mut ctx),
                Screen::Workload(v) => v.on_snapshot(&mut ctx),
                _ => {}
            }
        }
    }

    fn on_job(&mut self, r: &crate::jobs::JobResult, reqs: &mut Vec<JobRequest>) -> bool {
        if self.promo_job(r, reqs) || self.retrain_job(r, reqs) {
            return true;
        }
        let mut ctx = ctx!(self, reqs);
        let taken = self.stack.iter_mut().any(|s| match s {
            Screen::Versions(v) => v.on_result(r, &mut ctx),
            Screen::Compare(v) => v.on_result(r, &mut ctx),
            Screen::Workload(v) => v.on_result(r, &mut ctx),
            Screen::Drift(v) => v.on_result(r, &mut ctx),
            Screen::Promotion(v) => v.on_result(r, &mut ctx),
            _ => false,
        }) || self.models.on_result(r, &mut ctx);
        if !taken {
            tracing::debug!(ticket = r.ticket, job = ?r.job, "dropped a stale job result");
        }
        taken
    }

    fn on_screen_action(&mut self, action: Action, reqs: &mut Vec<JobRequest>) -> bool {
        let kind = self.screen();
        match action {
            Action::Back => {
                if self.stack.len() > 1 {
                    self.stack.pop();
                } else {
                    self.request_quit();
                }
                return true;
            }
            Action::Escape => {
                if kind.filterable() && !self.filter_source().is_empty() {
                    let _ = self.set_filter("");
                } else if self.stack.len() > 1 {
                    self.stack.pop();
                } else {
                    return false;
                }
                return true;
            }
            Action::Help => {
                if kind == ScreenKind::Help {
                    self.stack.pop();
                } else {
                    self.stack.push(Screen::Help(HelpView::new(kind)));
                }
                return true;
            }
            Action::OpenFilter if kind.filterable() => {
                let current = self.filter_source().to_string();
                self.prompt = Some(Prompt::new(PromptKind::Filter, &current));
                return true;
            }
            Action::OpenFilter => {
                self.say(format!("{} has no filter", kind.name()), false);
                return true;
            }
            Action::OpenCommand => {
                self.prompt = Some(Prompt::new(PromptKind::Command, ""));
                return true;
            }
            Action::OpenPromotions => {
                self.open_promotions(reqs, false);
                return true;
            }
            Action::RequestPromotion => {
                self.request_dialog();
                return true;
            }
            Action::OpenDrift => {
                self.open_drift_here(reqs);
                return true;
            }
            Action::Retrain => {
                self.retrain_prompt();
                return true;
            }
            _ => {}
        }
        let body = render::areas(self.area).body;
        let mut ctx = ctx!(self, reqs);
        let t = match self.stack.last_mut() {
            Some(Screen::Fleet) | None => self.fleet.handle(&action, &mut ctx),
            Some(Screen::Models) => self.models.handle(&action, &mut ctx),
            Some(Screen::Versions(v)) => v.handle(&action, &mut ctx),
            Some(Screen::Compare(v)) => v.handle(&action, &mut ctx),
            Some(Screen::Workload(v)) => v.handle(&action, &mut ctx),
            Some(Screen::Drift(v)) => v.handle(&action, &mut ctx),
            Some(Screen::Promotions) => self.promo.handle(&action, &mut ctx),
            Some(Screen::Promotion(v)) => v.handle(&action, &mut ctx, &self.promo),
            Some(Screen::Help(v)) => v.handle(&action, body),
        };
        match t {
            Transition::Stay => {}
            Transition::Push(s) => self.stack.push(s),
            Transition::Flash(text) => self.say(text, false),
            Transition::Refuse(text) => self.say(text, true),
            Transition::Dialog(d) => self.dialog = Some(d),
        }
        true
    }

    fn on_prompt(&mut self, key: PromptKey, reqs: &mut Vec<JobRequest>) -> bool {
        if self.dialog.is_some() {
            return self.on_dialog_key(key, reqs);
        }
        let Some(mut p) = self.prompt.take() else {
            return false;
        };
        match key {
            PromptKey::Insert(c) => p.insert(c),
            PromptKey::Backspace => p.backspace(),
            PromptKey::DeleteWord => p.delete_word(),
            PromptKey::Clear => p.clear(),
            PromptKey::Complete => {
                if p.kind == PromptKind::Command
                    && let Some(h) = command::hints(&p.input, &self.snap).first()
                {
                    p.input = command::complete(&p.input, h);
                }
            }
            PromptKey::Cancel => {
                if p.kind == PromptKind::Filter {
                    let _ = self.set_filter(&p.before);
                }
                return true;
            }
            PromptKey::Submit => match p.kind {
                PromptKind::Filter if p.error.is_some() => {}
                PromptKind::Filter => return true,
                PromptKind::Command => {
                    self.run_command(&p.input, reqs);
                    return true;
                }
            },
        }
        if p.kind == PromptKind::Filter {
            p.error = self.set_filter(&p.input).err().map(|e| e.reason);
        }
        self.prompt = Some(p);
        true
    }

    fn run_command(&mut self, line: &str, reqs: &mut Vec<JobRequest>) {
        let cmd = match command::parse(line.trim().trim_start_matches(':')) {
            Ok(c) => c,
            Err(e) => return self.say(e, true),
        };
        match cmd {
            Command::Fleet => self.stack = vec![Screen::Fleet],
            Command::Models => self.stack = vec![Screen::Models],
            Command::Promotions => self.open_promotions(reqs, true),
            Command::Namespace(ns) => {
                self.say(
                    format!("namespace: {}", ns.as_deref().unwrap_or("all")),
                    false,
                );
                self.scope.namespace = ns;
                self.stack = vec![Screen::Fleet];
            }
            Command::Context(Some(c)) if !self.snap.clusters.contains(&c) => {
                let known = self.snap.clusters.join(", ");
                self.say(format!("no context named {c:?}; known: {known}"), true);
            }
            Command::Context(c) => {
                self.say(format!("context: {}", c.as_deref().unwrap_or("all")), false);
                self.scope.cluster = c;
                self.stack = vec![Screen::Fleet];
            }
            Command::Drift { model, version } => self.open_drift_named(&model, version, reqs),
            Command::Retrain { model, reason } => self.start_retrain(&model, &reason, reqs),
            Command::Help => self.stack.push(Screen::Help(HelpView::new(self.screen()))),
            Command::Quit => self.request_quit(),
            Command::Compare { model, a, b } => {
                let loaded = self.snap.registry.loaded;
                let found = self.snap.model(&model).cloned();
                if loaded && found.is_none() {
                    return self.say(format!("no registered model named {model:?}"), true);
                }
                let resolve = |v: String| {
                    found
                        .as_ref()
                        .and_then(|m| m.aliases.get(&v).cloned())
                        .unwrap_or(v)
                };
                let (a, b) = (resolve(a), resolve(b));
                let mut ctx = ctx!(self, reqs);
                let view = CompareView::open(&model, &a, &b, &mut ctx);
                self.stack.push(Screen::Compare(Box::new(view)));
            }
        }
    }

    pub(crate) fn say(&mut self, text: String, error: bool) {
        self.flash = Some(Flash {
            text,
            error,
            until: self.now.plus_millis(FLASH_MS),
        });
    }

    fn filter_source(&self) -> &str {
        match self.stack.last() {
            Some(Screen::Fleet) => self.fleet.filter().source(),
            Some(Screen::Models) => self.models.filter().source(),
            Some(Screen::Versions(v)) => v.filter().source(),
            _ => "",
        }
    }

    fn set_filter(&mut self, input: &str) -> Result<(), modeldeck_core::filter::FilterError> {
        match self.stack.last_mut() {
            Some(Screen::Fleet) => self.fleet.set_filter(input),
            Some(Screen::Models) => self.models.set_filter(input),
            Some(Screen::Versions(v)) => v.set_filter(input),
            _ => Ok(()),
        }
    }

    /// Recomputes what the screen on top derives from the snapshot (rows,
    /// order, filter, widths) if anything it depends on changed. Call once
    /// after a batch of updates, before drawing.
    pub fn settle(&mut self) {
        let body = render::areas(self.area).body;
        let snap = &self.snap;
        match self.stack.last_mut() {
            Some(Screen::Fleet) | None => {
                let h = self.fleet.layout(body, snap).table.height.saturating_sub(1);
                self.fleet.settle(snap, &self.scope, usize::from(h));
            }
            Some(Screen::Models) => self.models.settle(snap, table_height(body)),
            Some(Screen::Versions(v)) => v.settle(snap, table_height(body)),
            Some(Screen::Workload(v)) => v.settle(table_height(body)),
            Some(Screen::Promotions) => self.promo.settle(table_height(body).saturating_sub(1)),
            Some(Screen::Drift(v)) => v.settle(body),
            Some(Screen::Compare(_) | Screen::Help(_) | Screen::Promotion(_)) => {}
        }
    }

    /// The kind of screen on top.
    pub fn screen(&self) -> ScreenKind {
        self.stack.last().map_or(ScreenKind::Fleet, Screen::kind)
    }

    /// The screens from the root to the top.
    pub fn stack(&self) -> &[Screen] {
        &self.stack
    }

    /// Fleet state.
    pub fn fleet(&self) -> &FleetView {
        &self.fleet
    }

    /// Models state.
    pub fn models(&self) -> &ModelsView {
        &self.models
    }

    /// The open prompt.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    /// The open confirmation dialog.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// True when keys are text for a prompt or a dialog.
    pub fn typing(&self) -> bool {
        self.prompt.is_some() || self.dialog.is_some()
    }

    /// Promotion state (list, inbox, Fleet marks, the action running).
    pub fn promotions(&self) -> &PromoState {
        &self.promo
    }

    /// The footer message.
    pub fn flash(&self) -> Option<&Flash> {
        self.flash.as_ref()
    }

    /// Fleet scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The snapshot shown.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snap
    }

    /// The clock's "now" as of the last tick.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// True once the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// True when something changed since the last draw.
    pub fn needs_draw(&self) -> bool {
        self.needs_draw
    }

    /// Records that the current state was drawn.
    pub fn mark_drawn(&mut self) {
        self.needs_draw = false;
    }
}

// Table rows on screen in a bordered panel with a header line and room
// for a notice; exact per-view geometry is re-derived when drawing.
fn table_height(body: Rect) -> usize {
    usize::from(body.height.saturating_sub(4))
}
