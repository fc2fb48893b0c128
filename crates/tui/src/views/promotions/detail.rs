//! One promotion's detail: summary, actions (disabled ones with their
//! reason), the gate checklist with its numbers, approvals, the evidence
//! they are bound to, the targets' live rollout state, their recent events
//! and log tails. The review and the activity arrive by jobs; while an
//! action on this promotion runs they are re-read every few seconds, so
//! the rollout can be watched. Scrolls with the usual keys; two columns on
//! wide terminals. A target cluster that does not bind approvals to
//! identities is named in the title's mark, the first lines and the
//! approve and execute dialogs (`identity.rs`). The candidate's model card
//! follows the gates; the targets' serving-health charts (the workload
//! detail's panel, with its markers) show below the text on tall
//! terminals, instead of it on short ones (`tab`): `t` the next target,
//! `w`/`W` the window.

use super::dialog::Dialog;
use super::identity::{UNBOUND_MARK, Unbound};
use super::lines;
use super::{Acting, PromoState};
use crate::action::{Action, Nav};
use crate::jobs::{CardFor, Job, JobOutcome, JobResult, TargetActivity};
use crate::theme;
use crate::views::card::CardPanel;
use crate::views::health::HealthPanel;
use crate::views::{Ctx, Fetched, RenderCtx, Transition};
use crate::widgets::panel;
use modeldeck_core::Snapshot;
use modeldeck_core::domain::{Timestamp, WorkloadRef};
use modeldeck_core::text::clean;
use modeldeck_promotion::{ActionKind, Review};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::cell::Cell;

/// Re-read interval of the review and the activity while acting, ms.
const WATCH_MS: i64 = 2_000;
/// Inner width from which the detail is drawn in two columns.
const TWO_COLUMNS: u16 = 140;
/// Inner height from which the health charts show below the text.
const HEALTH_BELOW_FROM: u16 = 36;
/// Rows of the health charts below the text (with their header line).
const HEALTH_ROWS: u16 = 17;
/// Least interval between health re-reads while an action is watched, ms.
const HEALTH_WATCH_MS: i64 = 15_000;

/// Promotion detail state.
#[derive(Debug)]
pub struct PromotionView {
    id: String,
    targets: Vec<WorkloadRef>,
    review: Fetched<Box<Review>>,
    activity: Fetched<Vec<TargetActivity>>,
    asked_at: Timestamp,
    offset: usize,
    /// Furthest scroll that still shows something, as of the last draw.
    max_offset: Cell<usize>,
    /// The candidate's card data (version, run, the policy's fields).
    card: CardPanel,
    /// Health charts of `targets[target]`.
    health: Option<HealthPanel>,
    target: usize,
    /// On short terminals: the health charts instead of the text.
    show_health: bool,
    health_at: Timestamp,
}

impl PromotionView {
    /// Opens promotion `id` (its `targets`, as listed) and asks for its
    /// review and its targets' activity.
    pub(crate) fn open(id: &str, targets: Vec<WorkloadRef>, ctx: &mut Ctx) -> PromotionView {
        let mut v = PromotionView {
            id: id.to_string(),
            targets,
            review: Fetched::default(),
            activity: Fetched::default(),
            asked_at: ctx.now,
            offset: 0,
            max_offset: Cell::new(0),
            card: CardPanel::default(),
            health: None,
            target: 0,
            show_health: false,
            health_at: ctx.now,
        };
        v.open_health(ctx);
        v.refresh(ctx);
        v
    }

    /// The health charts shown (of the target [`PromotionView::target`]).
    pub fn health(&self) -> Option<&HealthPanel> {
        self.health.as_ref()
    }

    /// The target whose health shows.
    pub fn target(&self) -> Option<&WorkloadRef> {
        self.targets.get(self.target)
    }

    /// The candidate's card data, as read.
    pub fn card(&self) -> &CardPanel {
        &self.card
    }

    fn open_health(&mut self, ctx: &mut Ctx) {
        self.health = self.targets.get(self.target).map(|t| {
            let model = find(ctx.snap, t).and_then(|w| w.model.clone());
            HealthPanel::open(t.clone(), model, ctx)
        });
        self.health_at = ctx.now;
    }

    /// The promotion shown.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The review, once read.
    pub fn review(&self) -> Option<&Review> {
        self.review.data.as_deref()
    }

    /// Why the review could not be read.
    pub fn review_error(&self) -> Option<&str> {
        self.review.error.as_ref().map(|(e, _)| e.as_str())
    }

    /// True while the review is being read.
    pub fn loading(&self) -> bool {
        self.review.pending.is_some() || self.activity.pending.is_some()
    }

    pub(crate) fn refresh(&mut self, ctx: &mut Ctx) {
        let t = ctx.request(Job::Review {
            id: self.id.clone(),
        });
        self.review.expect(t);
        self.refresh_activity(ctx);
        self.asked_at = ctx.now;
        if ctx.now.millis_since(self.health_at) >= HEALTH_WATCH_MS
            && let Some(h) = &mut self.health
        {
            h.refresh(ctx);
            self.health_at = ctx.now;
        }
    }

    fn refresh_activity(&mut self, ctx: &mut Ctx) {
        if self.targets.is_empty() {
            return;
        }
        let t = ctx.request(Job::Activity {
            targets: self.targets.clone(),
        });
        self.activity.expect(t);
    }

    /// On the tick: while an action on this promotion runs, re-reads.
    pub(crate) fn on_tick(&mut self, ctx: &mut Ctx, acting: Option<&Acting>) {
        let watching = acting.is_some_and(|a| a.id.as_deref() == Some(self.id.as_str()));
        if watching
            && ctx.now.millis_since(self.asked_at) >= WATCH_MS
            && self.review.pending.is_none()
        {
            self.refresh(ctx);
        }
    }

    /// Takes a job answer if it is the one this view waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        match (&r.job, &r.outcome) {
            (Job::Review { id }, JobOutcome::Review(res))
                if *id == self.id && self.review.awaits(r.ticket) =>
            {
                let first = self.review.data.is_none();
                if let Ok(rv) = res {
                    let p = &rv.status.promotion;
                    self.card
                        .want(ctx, CardFor::Promotion, &p.model, Some(p.version.clone()));
                    let targets = p.targets.clone();
                    if first && targets != self.targets {
                        self.targets = targets;
                        self.target = 0;
                        self.refresh_activity(ctx);
                        self.open_health(ctx);
                    }
                }
                self.review.resolve(res.clone(), ctx.now);
                true
            }
            (Job::Activity { targets }, JobOutcome::Activity(a))
                if *targets == self.targets && self.activity.awaits(r.ticket) =>
            {
                self.activity.resolve(Ok::<_, String>(a.clone()), ctx.now);
                true
            }
            _ => {
                self.card.on_result(r, ctx)
                    || self.health.as_mut().is_some_and(|h| h.on_result(r, ctx))
            }
        }
    }

    /// Reacts to an action while the detail is on top.
    pub(crate) fn handle(
        &mut self,
        action: &Action,
        ctx: &mut Ctx,
        promo: &PromoState,
    ) -> Transition {
        match action {
            Action::Nav(n) => {
                let page = usize::from(ctx.body.height.saturating_sub(2)).max(1);
                self.offset = match n {
                    Nav::Up => self.offset.saturating_sub(1),
                    Nav::Down => self.offset + 1,
                    Nav::Top => 0,
                    Nav::Bottom => self.max_offset.get(),
                    Nav::PageUp | Nav::HalfPageUp => self.offset.saturating_sub(page / 2),
                    Nav::PageDown | Nav::HalfPageDown => self.offset + page / 2,
                }
                .min(self.max_offset.get());
            }
            Action::Refresh => {
                self.card.reask();
                if let Some(p) = self.review().map(|rv| rv.status.promotion.clone()) {
                    self.card
                        .want(ctx, CardFor::Promotion, &p.model, Some(p.version));
                }
                if let Some(h) = &mut self.health {
                    h.refresh(ctx);
                    self.health_at = ctx.now;
                }
                self.refresh(ctx);
            }
            Action::Act(a) => return self.act(*a, promo),
            Action::DriftWindow(step) => {
                return match &mut self.health {
                    Some(h) => Transition::Flash(h.step_window(*step, ctx)),
                    None => Transition::Flash("no target: no health charts".into()),
                };
            }
            Action::NextTarget => {
                if self.targets.len() < 2 {
                    return Transition::Flash(format!(
                        "{} target: nothing to switch to",
                        if self.targets.is_empty() { "no" } else { "one" }
                    ));
                }
                self.target = (self.target + 1) % self.targets.len();
                self.open_health(ctx);
                let t = &self.targets[self.target];
                return Transition::Flash(format!(
                    "health of {} (target {} of {})",
                    clean(&t.to_string()),
                    self.target + 1,
                    self.targets.len()
                ));
            }
            Action::TogglePanel => {
                if self.health.is_none() {
                    return Transition::Flash("no target: no health charts".into());
                }
                if ctx.body.height.saturating_sub(2) >= HEALTH_BELOW_FROM {
                    return Transition::Flash("text and health both show at this height".into());
                }
                self.show_health = !self.show_health;
            }
            _ => {}
        }
        Transition::Stay
    }

    fn act(&self, a: ActionKind, promo: &PromoState) -> Transition {
        if let Some(running) = &promo.acting {
            return Transition::Refuse(format!(
                "{} is still running; wait for its result",
                running.label
            ));
        }
        let Some(rv) = self.review() else {
            return Transition::Refuse(match self.review_error() {
                Some(e) => format!("cannot {}: {}", a.verb(), e),
                None => "still reading the promotion; try again in a moment".into(),
            });
        };
        let Some(check) = rv.check(a) else {
            return Transition::Stay;
        };
        if let Some(why) = &check.blocked {
            return Transition::Refuse(format!("{} is not available: {why}", a.verb()));
        }
        let p = &rv.status.promotion;
        let what = format!(
            "{} v{} -> {} (was {}), {} target{}, requested by {}",
            p.model,
            p.version,
            p.alias,
            p.previous_version
                .as_deref()
                .map_or("nothing".to_string(), |v| format!("v{v}")),
            p.targets.len(),
            if p.targets.len() == 1 { "" } else { "s" },
            p.requested_by
        );
        let mut dialog = Dialog::action(&self.id, a, &what, check.note.as_deref());
        if !p.targets.is_empty()
            && p.targets
                .iter()
                .all(|t| t.kind == modeldeck_core::domain::WorkloadKind::CronJob)
        {
            dialog = dialog.with_run_now();
        }
        if matches!(a, ActionKind::Approve | ActionKind::Execute)
            && let Some(u) = Unbound::of(p)
        {
            dialog.lines.push(u.sentence());
        }
        Transition::Dialog(dialog)
    }

    /// Draws the detail.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx, promo: &PromoState) {
        let mut title = vec![
            Span::styled(" Promotion", theme::title()),
            Span::styled(format!("({}) ", clean(&self.id)), theme::key()),
        ];
        if let Some(u) = self
            .review()
            .and_then(|rv| Unbound::of(&rv.status.promotion))
        {
            title.push(Span::styled(
                format!("{UNBOUND_MARK} not identity-bound "),
                u.style(),
            ));
        }
        if self.loading() && self.review.data.is_some() {
            title.push(Span::styled("⟳ refreshing ", theme::loading()));
        }
        let inner = area.inner(Margin::new(1, 1));
        let two = inner.width >= TWO_COLUMNS;
        let (columns, health_area) = self.areas(inner, two);
        if self.health.is_some() && inner.height < HEALTH_BELOW_FROM {
            let other = if columns.is_empty() { "text" } else { "health" };
            title.push(Span::styled(format!("tab: {other} "), theme::dim()));
        }
        frame.render_widget(panel::block(title), area);
        if let (Some(h), Some(a)) = (&self.health, health_area) {
            self.render_health(frame, h, a, rc);
        }
        let Some(first) = columns.first().copied() else {
            return;
        };
        let Some(rv) = self.review() else {
            let msg = match self.review_error() {
                Some(e) => Line::styled(
                    format!("✗ Cannot read promotion {}: {}", clean(&self.id), clean(e)),
                    theme::error(),
                ),
                None => Line::styled("⟳ Reading the promotion…", theme::loading()),
            };
            panel::render_centered(frame, first, vec![msg]);
            return;
        };
        let ctx = lines::Ctx {
            rc,
            promo,
            id: &self.id,
            review: rv,
            review_error: self.review.error.as_ref().map(|(e, _)| e.as_str()),
            activity: &self.activity,
            card: &self.card,
            width: first.width,
            two,
        };
        let left = lines::left(&ctx);
        let right = lines::right(&ctx);
        let texts: Vec<Vec<Line>> = if two {
            vec![left, right]
        } else {
            vec![left.into_iter().chain(right).collect()]
        };
        let wrapped: Vec<Vec<Line>> = texts
            .into_iter()
            .zip(columns.iter())
            .map(|(l, a)| super::wrap::wrap(l, a.width))
            .collect();
        let max = wrapped
            .iter()
            .zip(columns.iter())
            .map(|(l, a)| l.len().saturating_sub(usize::from(a.height).max(1)))
            .max()
            .unwrap_or(0);
        self.max_offset.set(max);
        for (lines, a) in wrapped.into_iter().zip(columns.iter()) {
            let height = usize::from(a.height).max(1);
            let start = self.offset.min(lines.len().saturating_sub(height));
            let shown: Vec<Line> = lines.into_iter().skip(start).collect();
            frame.render_widget(Paragraph::new(shown), *a);
        }
    }
}

impl PromotionView {
    /// The text columns and the health charts' area, in `inner`: on tall
    /// terminals the charts head the right column (two columns) or follow
    /// the text (one); on short ones `tab` shows one or the other.
    fn areas(&self, inner: Rect, two: bool) -> (Vec<Rect>, Option<Rect>) {
        let columns = |r: Rect| -> Vec<Rect> {
            Layout::horizontal(vec![Constraint::Fill(1); if two { 2 } else { 1 }])
                .spacing(2)
                .split(r)
                .to_vec()
        };
        if self.health.is_none() {
            return (columns(inner), None);
        }
        if inner.height >= HEALTH_BELOW_FROM {
            if two {
                let cols = columns(inner);
                let (left, right) = (cols[0], cols[1]);
                let [health, text] =
                    Layout::vertical([Constraint::Length(HEALTH_ROWS), Constraint::Min(0)])
                        .areas(right);
                return (vec![left, text], Some(health));
            }
            let [text, health] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(HEALTH_ROWS)])
                    .areas(inner);
            (columns(text), Some(health))
        } else if self.show_health {
            (Vec::new(), Some(inner))
        } else {
            (columns(inner), None)
        }
    }

    /// A line naming the target, then its charts.
    fn render_health(&self, frame: &mut Frame, h: &HealthPanel, area: Rect, rc: &RenderCtx) {
        let [head, charts] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let target = self
            .targets
            .get(self.target)
            .map_or("-".to_string(), |t| clean(&t.to_string()).into_owned());
        let mut spans = vec![
            Span::styled("Health of ", theme::title()),
            Span::styled(target, theme::key()),
        ];
        let n = self.targets.len();
        let more = if n > 1 { " · t: next target" } else { "" };
        spans.push(Span::styled(
            format!(" (target {} of {n}){more} · w/W: window", self.target + 1),
            theme::dim(),
        ));
        frame.render_widget(Paragraph::new(Line::from(spans)), head);
        h.render(frame, charts, rc.now.0);
    }
}

fn find<'a>(
    snap: &'a Snapshot,
    target: &WorkloadRef,
) -> Option<&'a modeldeck_core::domain::Workload> {
    snap.workloads
        .binary_search_by(|w| w.id.cmp(target))
        .ok()
        .and_then(|i| snap.workloads.get(i))
}
