//! The app's promotion glue: turning the service on, the periodic list
//! refresh (which also feeds the Fleet marks), opening the screen, the
//! request dialog from Versions, dialog keys, starting an action as a
//! background job (one at a time) and taking its result.

use super::{App, Screen};
use crate::action::PromptKey;
use crate::jobs::{Act, Job, JobOutcome, JobRequest, JobResult};
use crate::render;
use crate::views::Ctx;
use crate::views::promotions::Acting;
use crate::views::promotions::dialog::{Dialog, DialogStep};

impl App {
    /// Turns the Promotions screen on (a service is configured) and asks
    /// for the first list; returns the job to start.
    pub fn enable_promotions(&mut self) -> Vec<JobRequest> {
        let mut reqs = Vec::new();
        self.promo.configured = true;
        let mut ctx = ctx!(self, &mut reqs);
        self.promo.refresh(&mut ctx);
        reqs
    }

    /// On the tick: the periodic list refresh and, while an action runs,
    /// the detail's re-reads.
    pub(super) fn promo_tick(&mut self, reqs: &mut Vec<JobRequest>) {
        if !self.promo.configured {
            return;
        }
        let mut ctx = ctx!(self, reqs);
        self.promo.refresh_if_due(&mut ctx);
        let acting = self.promo.acting.as_ref();
        for s in self.stack.iter_mut() {
            if let Screen::Promotion(v) = s {
                v.on_tick(&mut ctx, acting);
            }
        }
        if self.promo.acting.is_some() {
            // The progress line counts seconds.
            self.needs_draw = true;
        }
    }

    /// Takes the list and action results; false for anything else.
    pub(super) fn promo_job(&mut self, r: &JobResult, reqs: &mut Vec<JobRequest>) -> bool {
        match &r.outcome {
            JobOutcome::Promotions(res) if self.promo.lists.awaits(r.ticket) => {
                self.promo.resolve(res.clone(), self.now);
                true
            }
            JobOutcome::Acted(done)
                if self
                    .promo
                    .acting
                    .as_ref()
                    .is_some_and(|a| a.ticket == r.ticket) =>
            {
                let label = self
                    .promo
                    .acting
                    .take()
                    .map(|a| a.label)
                    .unwrap_or_default();
                let text = match &done.result {
                    Ok(m) => format!("✓ {label}: {m}"),
                    Err(e) => format!("✗ {label}: {e}"),
                };
                self.say(text, done.result.is_err());
                self.quit_armed = false;
                self.promo.last = Some((done.id.clone(), label, done.result.clone()));
                let mut ctx = ctx!(self, reqs);
                self.promo.refresh(&mut ctx);
                for s in self.stack.iter_mut() {
                    if let Screen::Promotion(v) = s {
                        v.refresh(&mut ctx);
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Opens the Promotions screen: as the root (`:promotions`) or on top.
    pub(super) fn open_promotions(&mut self, reqs: &mut Vec<JobRequest>, root: bool) {
        if root {
            self.stack = vec![Screen::Promotions];
        } else if !matches!(self.stack.last(), Some(Screen::Promotions)) {
            self.stack.push(Screen::Promotions);
        }
        if self.promo.configured && self.promo.lists.pending.is_none() {
            let mut ctx = ctx!(self, reqs);
            self.promo.refresh(&mut ctx);
        }
    }

    /// Quits, unless an action runs and this is the first ask: quitting
    /// would interrupt it (the service resumes it on the next execute, but
    /// another process must wait for the claim to expire), so say so once.
    pub(super) fn request_quit(&mut self) {
        match &self.promo.acting {
            Some(a) if !self.quit_armed => {
                self.quit_armed = true;
                let msg = format!(
                    "{} is still running: quitting interrupts it (a later execute resumes it); quit again to leave anyway",
                    a.label
                );
                self.say(msg, true);
            }
            _ => self.quit = true,
        }
    }

    /// `P` on Versions: the request dialog for the selected version.
    pub(super) fn request_dialog(&mut self) {
        let Some(Screen::Versions(v)) = self.stack.last() else {
            return;
        };
        if !self.promo.configured {
            return self.say(
                "cannot request: promotions are not configured for this profile".into(),
                true,
            );
        }
        if let Some(a) = &self.promo.acting {
            return self.say(
                format!("{} is still running; wait for its result", a.label),
                true,
            );
        }
        let Some(version) = v.selected().map(str::to_string) else {
            return self.say("select a version first".into(), true);
        };
        let model = v.model().to_string();
        let mut targets: Vec<_> = self
            .snap
            .workloads_of(&model)
            .map(|w| w.id.clone())
            .collect();
        targets.sort();
        self.dialog = Some(Dialog::request(&model, &version, "champion", targets));
    }

    /// A key while the dialog is open.
    pub(super) fn on_dialog_key(&mut self, key: PromptKey, reqs: &mut Vec<JobRequest>) -> bool {
        let Some(d) = self.dialog.as_mut() else {
            return false;
        };
        match d.key(key) {
            DialogStep::Open => {}
            DialogStep::Cancelled => {
                self.dialog = None;
                self.say("cancelled: nothing was done".into(), false);
            }
            DialogStep::Confirmed(act) => {
                self.dialog = None;
                self.start(act, reqs);
            }
        }
        true
    }

    fn start(&mut self, act: Act, reqs: &mut Vec<JobRequest>) {
        let (id, label) = match &act {
            Act::Request(n) => (None, format!("request {} v{}", n.model, n.version)),
            Act::On { id, action, .. } => (Some(id.clone()), action.verb().to_string()),
        };
        let ticket = {
            let mut ctx = ctx!(self, reqs);
            ctx.request(Job::Act(act))
        };
        self.promo.last = None;
        self.promo.acting = Some(Acting {
            ticket,
            id,
            label: label.clone(),
            started: self.now,
        });
        self.say(format!("⟳ {label} running…"), false);
    }
}
