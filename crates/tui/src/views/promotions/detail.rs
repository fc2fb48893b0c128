//! One promotion's detail: summary, actions (disabled ones with their
//! reason), the gate checklist with its numbers, approvals, the evidence
//! they are bound to, the targets' live rollout state, their recent events
//! and log tails. The review and the activity arrive by jobs; while an
//! action on this promotion runs they are re-read every few seconds, so
//! the rollout can be watched. Scrolls with the usual keys; two columns on
//! wide terminals. A target cluster that does not bind approvals to
//! identities is named in the title's mark, the first lines and the
//! approve and execute dialogs (`identity.rs`).

use super::dialog::Dialog;
use super::identity::{UNBOUND_MARK, Unbound};
use super::lines;
use super::{Acting, PromoState};
use crate::action::{Action, Nav};
use crate::jobs::{Job, JobOutcome, JobResult, TargetActivity};
use crate::theme;
use crate::views::{Ctx, Fetched, RenderCtx, Transition};
use crate::widgets::panel;
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
        };
        v.refresh(ctx);
        v
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
                    let targets = rv.status.promotion.targets.clone();
                    if first && targets != self.targets {
                        self.targets = targets;
                        self.refresh_activity(ctx);
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
            _ => false,
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
            Action::Refresh => self.refresh(ctx),
            Action::Act(a) => return self.act(*a, promo),
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
        frame.render_widget(panel::block(title), area);
        let inner = area.inner(Margin::new(1, 1));
        let Some(rv) = self.review() else {
            let msg = match self.review_error() {
                Some(e) => Line::styled(
                    format!("✗ Cannot read promotion {}: {}", clean(&self.id), clean(e)),
                    theme::error(),
                ),
                None => Line::styled("⟳ Reading the promotion…", theme::loading()),
            };
            panel::render_centered(frame, inner, vec![msg]);
            return;
        };
        let ctx = lines::Ctx {
            rc,
            promo,
            id: &self.id,
            review: rv,
            review_error: self.review.error.as_ref().map(|(e, _)| e.as_str()),
            activity: &self.activity,
        };
        let left = lines::left(&ctx);
        let right = lines::right(&ctx);
        let columns: Vec<Vec<Line>> = if inner.width >= TWO_COLUMNS {
            vec![left, right]
        } else {
            vec![left.into_iter().chain(right).collect()]
        };
        let areas = Layout::horizontal(vec![Constraint::Fill(1); columns.len()])
            .spacing(2)
            .split(inner);
        let height = usize::from(inner.height);
        let wrapped: Vec<Vec<Line>> = columns
            .into_iter()
            .zip(areas.iter())
            .map(|(l, a)| super::wrap::wrap(l, a.width))
            .collect();
        let longest = wrapped.iter().map(Vec::len).max().unwrap_or(0);
        self.max_offset.set(longest.saturating_sub(height.max(1)));
        for (lines, a) in wrapped.into_iter().zip(areas.iter()) {
            let start = self.offset.min(lines.len().saturating_sub(height.max(1)));
            let shown: Vec<Line> = lines.into_iter().skip(start).collect();
            frame.render_widget(Paragraph::new(shown), *a);
        }
    }
}
