//! The model card (`modeldeck_core::card`) drawn as lines: the summary,
//! each field with its value and, in dim text, where it was read, the
//! fields the promotion policy requires and lacks, fairness results and
//! the run's metrics. Every value is registry input: each line goes
//! through `clean` (no escape sequence, control or bidi character reaches
//! the screen) and long values are cut. [`CardPanel`] is the panel of the
//! Models and Versions screens (`d`): beside the table on wide terminals,
//! below it on tall ones, instead of it (scrolling) on small ones; the
//! version and run behind it, and the policy, arrive by a job.

use crate::action::Nav;
use crate::format;
use crate::jobs::{CardData, CardFor, Job, JobOutcome, JobResult};
use crate::theme;
use crate::views::promotions::wrap::wrap_with;
use crate::views::{Ctx, Fetched};
use crate::widgets::panel;
use modeldeck_core::card::{CardField, CardSource, ModelCard, build_card};
use modeldeck_core::domain::{ModelVersion, RegisteredModel, RunData};
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::cell::Cell;

/// Characters of one value drawn; the rest is counted, not shown.
const MAX_VALUE_CHARS: usize = 1_500;
/// Lines of one value drawn.
const MAX_VALUE_LINES: usize = 12;
/// Body width from which the card shows beside the table.
const SIDE_FROM: u16 = 150;
/// Body height from which the card shows below the table.
const BELOW_FROM: u16 = 36;

fn keys(fields: &[CardField]) -> String {
    fields
        .iter()
        .map(|f| f.key())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `card` as lines wrapped to `width`, with the fields `required` by the
/// promotion policy marked (and the ones it lacks said first).
pub(crate) fn lines(card: &ModelCard, required: &[CardField], width: u16) -> Vec<Line<'static>> {
    // Each logical line with the extra indent of its continuations.
    let mut out: Vec<(Line<'static>, usize)> = Vec::new();
    let missing = card.missing(required);
    let mut status = vec![Span::styled(
        format!(
            "{} of {} fields filled",
            card.filled(),
            CardField::ALL.len()
        ),
        theme::dim(),
    )];
    if !required.is_empty() && missing.is_empty() {
        status.push(Span::styled(
            format!(
                " · ✓ has every field the promotion policy requires ({})",
                keys(required)
            ),
            theme::ok(),
        ));
    } else if !missing.is_empty() {
        status.push(Span::styled(
            format!(
                " · ✗ lacks {} (the promotion policy requires {}): a promotion fails its card gate",
                keys(&missing),
                keys(required)
            ),
            theme::error(),
        ));
    }
    out.push((Line::from(status), 2));
    if let Some(s) = &card.summary {
        for l in value_lines(s) {
            out.push((Line::styled(l, theme::text()), 0));
        }
    }
    let mut unfilled: Vec<&str> = Vec::new();
    for e in &card.fields {
        let req = required.contains(&e.field);
        let label = e.field.label();
        match (&e.value, &e.source) {
            (Some(v), src) => {
                out.push((header(label, req, src.as_ref(), theme::key()), 4));
                for l in value_lines(v) {
                    out.push((Line::styled(format!("  {l}"), theme::text()), 0));
                }
            }
            (None, Some(src)) => {
                // Fairness filled by run metrics only: listed below.
                out.push((header(label, req, Some(src), theme::key()), 4));
            }
            (None, None) if missing.contains(&e.field) => out.push((
                Line::from(vec![
                    Span::styled(label.to_string(), theme::error()),
                    Span::styled(
                        format!(
                            "  ✗ missing, required by the promotion policy (tag {}{})",
                            modeldeck_core::card::CARD_TAG_PREFIX,
                            e.field.key()
                        ),
                        theme::error(),
                    ),
                ]),
                4,
            )),
            (None, None) => unfilled.push(label),
        }
    }
    if !unfilled.is_empty() {
        out.push((
            Line::styled(format!("Not filled: {}", unfilled.join(", ")), theme::dim()),
            2,
        ));
    }
    if !card.fairness.is_empty() {
        out.push((
            Line::styled("Fairness results (run metrics)", theme::key()),
            4,
        ));
        let show = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |x| format::metric(Some(x)));
        for r in &card.fairness {
            out.push((
                Line::styled(
                    format!(
                        "  {}: parity difference {} · impact ratio {}",
                        clean(&r.attribute),
                        show(r.spd),
                        show(r.dir)
                    ),
                    theme::text(),
                ),
                4,
            ));
        }
    }
    if !card.metrics.is_empty() {
        let all: Vec<String> = card
            .metrics
            .iter()
            .map(|(k, v)| format!("{} {}", clean(k), format::metric(Some(*v))))
            .collect();
        out.push((
            Line::from(vec![
                Span::styled("Run metrics  ", theme::key()),
                Span::styled(all.join(" · "), theme::text()),
            ]),
            4,
        ));
    }
    out.into_iter()
        .flat_map(|(l, extra)| wrap_with(vec![l], width, extra))
        .collect()
}

/// A field's first line: its label, whether the policy requires it, and
/// where it was read (dim).
fn header(label: &str, required: bool, src: Option<&CardSource>, style: Style) -> Line<'static> {
    let mut spans = vec![Span::styled(label.to_string(), style)];
    if required {
        spans.push(Span::styled(" (required)", theme::dim()));
    }
    if let Some(s) = src {
        spans.push(Span::styled(
            format!("  [{}]", clean(&s.describe())),
            theme::dim(),
        ));
    }
    Line::from(spans)
}

/// A value's lines, cleaned, blank ones dropped, cut to the limits (the
/// cut is said).
fn value_lines(v: &str) -> Vec<String> {
    let total = v.chars().count();
    let text: String = v.chars().take(MAX_VALUE_CHARS).collect();
    let all: Vec<String> = text
        .lines()
        .map(|l| clean(l.trim_end()).into_owned())
        .filter(|l| !l.trim().is_empty())
        .collect();
    let shown = all.len().min(MAX_VALUE_LINES);
    let mut out: Vec<String> = all.iter().take(shown).cloned().collect();
    let more_lines = all.len() - shown;
    let more_chars = total.saturating_sub(MAX_VALUE_CHARS);
    if more_lines > 0 || more_chars > 0 {
        out.push(format!(
            "… cut here ({} more line(s), {} more characters): `modeldeck card -o json` prints it all",
            more_lines, more_chars
        ));
    }
    out
}

/// The card panel of the Models and Versions screens.
#[derive(Debug, Default)]
pub struct CardPanel {
    shown: bool,
    data: Fetched<CardData>,
    asked: Option<(String, Option<String>)>,
    have: Option<(String, Option<String>)>,
    offset: usize,
    max_offset: Cell<usize>,
}

impl CardPanel {
    /// True while the panel shows.
    pub fn shown(&self) -> bool {
        self.shown
    }

    /// Shows or hides the panel.
    pub(crate) fn toggle(&mut self) {
        self.shown = !self.shown;
        self.offset = 0;
    }

    /// Asks for the card data of `model` (and `version`) unless it is the
    /// one already asked for.
    pub(crate) fn want(
        &mut self,
        ctx: &mut Ctx,
        screen: CardFor,
        model: &str,
        version: Option<String>,
    ) {
        let key = (model.to_string(), version);
        if self.asked.as_ref() == Some(&key) {
            return;
        }
        let t = ctx.request(Job::Card {
            model: key.0.clone(),
            version: key.1.clone(),
            screen,
        });
        self.data.expect(t);
        self.asked = Some(key);
        self.offset = 0;
    }

    /// Forgets what was asked, so the next [`CardPanel::want`] re-reads.
    pub(crate) fn reask(&mut self) {
        self.asked = None;
    }

    /// Takes a job answer if it is the one this panel waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        match (&r.job, &r.outcome) {
            (Job::Card { .. }, JobOutcome::Card(res)) if self.data.awaits(r.ticket) => {
                if res.is_ok() {
                    self.have = self.asked.clone();
                }
                self.data.resolve(res.clone().map(|b| *b), ctx.now);
                true
            }
            _ => false,
        }
    }

    /// The data read for `model` and `version`, if that is what arrived.
    pub fn data_for(&self, model: &str, version: Option<&str>) -> Option<&CardData> {
        let (m, v) = self.have.as_ref()?;
        (m == model && v.as_deref() == version)
            .then_some(self.data.data.as_ref())
            .flatten()
    }

    /// The policy's required fields, if read for `model`.
    pub fn required_for(&self, model: &str) -> Option<&[CardField]> {
        let (m, _) = self.have.as_ref()?;
        (m == model)
            .then(|| self.data.data.as_ref().map(|d| d.required.as_slice()))
            .flatten()
    }

    /// A line saying the read is under way or failed, if it is.
    pub(crate) fn status_line(&self, what: &str) -> Option<Line<'static>> {
        if self.data.pending.is_some() {
            return Some(Line::styled(
                format!("⟳ reading {what} and the promotion policy…"),
                theme::loading(),
            ));
        }
        self.data.error.as_ref().map(|(e, _)| {
            Line::styled(
                format!("✗ cannot read {what}: {}", clean(e)),
                theme::error(),
            )
        })
    }

    /// The table's area and the card's, in `body`: the card beside the
    /// table from [`SIDE_FROM`] columns, below it from [`BELOW_FROM`]
    /// rows, else instead of it.
    pub(crate) fn split(&self, body: Rect) -> (Option<Rect>, Option<Rect>) {
        if !self.shown {
            return (Some(body), None);
        }
        if body.width >= SIDE_FROM {
            let [t, c] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            (Some(t), Some(c))
        } else if body.height >= BELOW_FROM {
            let [t, c] = Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(body);
            (Some(t), Some(c))
        } else {
            (None, Some(body))
        }
    }

    /// Scrolls the card (when it shows instead of the table).
    pub(crate) fn scroll(&mut self, nav: Nav, page: usize) {
        let page = page.max(2);
        self.offset = match nav {
            Nav::Up => self.offset.saturating_sub(1),
            Nav::Down => self.offset + 1,
            Nav::Top => 0,
            Nav::Bottom => self.max_offset.get(),
            Nav::PageUp | Nav::HalfPageUp => self.offset.saturating_sub(page / 2),
            Nav::PageDown | Nav::HalfPageDown => self.offset + page / 2,
        }
        .min(self.max_offset.get());
    }

    /// Draws the panel: a bordered block titled `title`, `body` built for
    /// the inner width (scrolled when it does not fit).
    pub(crate) fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        title: Vec<Span<'static>>,
        body: impl FnOnce(u16) -> Vec<Line<'static>>,
    ) {
        frame.render_widget(panel::block(title), area);
        let inner = area.inner(Margin::new(1, 1));
        let lines = body(inner.width);
        let height = usize::from(inner.height).max(1);
        self.max_offset.set(lines.len().saturating_sub(height));
        let start = self.offset.min(self.max_offset.get());
        let shown: Vec<Line> = lines.into_iter().skip(start).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}

/// What the Models and Versions screens draw a card of.
pub(crate) struct CardDraw<'a> {
    /// The model's name.
    pub name: &'a str,
    /// The registered model, if listed.
    pub model: Option<&'a RegisteredModel>,
    /// The version shown.
    pub version: Option<&'a str>,
    /// How it was chosen (`champion`, `latest`, or empty).
    pub how: &'a str,
    /// The version and run to draw until the job answers.
    pub local: (Option<&'a ModelVersion>, Option<&'a RunData>),
    /// The card shows instead of the table.
    pub alone: bool,
}

impl CardPanel {
    /// Draws the card of `d` in `area`.
    pub(crate) fn draw(&self, frame: &mut Frame, area: Rect, d: CardDraw) {
        let hint = if d.alone {
            "d: back to the list · j/k: scroll "
        } else {
            "d hides "
        };
        let mut title = title(d.name, d.version, d.how);
        title.push(Span::styled(hint, theme::dim()));
        let Some(m) = d.model else {
            self.render(frame, area, title, |_| {
                vec![Line::styled(
                    "The registered model is not in the registry's list (yet): no card.",
                    theme::dim(),
                )]
            });
            return;
        };
        let data = self.data_for(d.name, d.version);
        let (version, run) = match data {
            Some(x) => (x.version.as_ref(), x.run.as_ref()),
            None => d.local,
        };
        let c = build_card(m, version, run);
        let required = self.required_for(d.name).unwrap_or(&[]);
        let waiting = match (data, d.version) {
            (None, Some(v)) => self.status_line(&format!("v{}'s card", clean(v))),
            _ => None,
        };
        self.render(frame, area, title, |w| {
            waiting.into_iter().chain(lines(&c, required, w)).collect()
        });
    }
}

/// The panel's title: `Model card(fraud-detector v7 champion)`.
pub(crate) fn title(model: &str, version: Option<&str>, how: &str) -> Vec<Span<'static>> {
    let what = match version {
        Some(v) if how.is_empty() => format!("({} v{}) ", clean(model), clean(v)),
        Some(v) => format!("({} v{} {how}) ", clean(model), clean(v)),
        None => format!("({}) ", clean(model)),
    };
    vec![
        Span::styled(" Model card", theme::title()),
        Span::styled(what, theme::key()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::Timestamp;
    use std::collections::BTreeMap;

    fn text(lines: &[Line]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    }

    fn model(tags: &[(&str, &str)]) -> RegisteredModel {
        RegisteredModel {
            name: "m".into(),
            description: None,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            aliases: BTreeMap::new(),
            latest_version: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn values_are_cleaned_cut_and_wrapped_to_the_width() {
        let hostile = "\u{1b}]52;c;aGk=\u{7}x\u{202e}y\r\nnext";
        let huge = "word ".repeat(2_000);
        let m = model(&[("owner", hostile), ("modeldeck.card.limitations", &huge)]);
        let out = lines(&build_card(&m, None, None), &[CardField::License], 40);
        let all = text(&out);
        assert!(
            !all.chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{all:?}"
        );
        assert!(
            all.contains("\u{fffd}]52;c;aGk=\u{fffd}x\u{fffd}y"),
            "{all}"
        );
        assert!(all.contains("next"), "{all}");
        assert!(
            // 9,999 characters once trimmed, 1,500 drawn.
            all.contains("… cut here (0 more line(s), 8499 more"),
            "{all}"
        );
        assert!(all.contains("✗ lacks license"), "{all}");
        assert!(out.iter().all(|l| l.width() <= 40), "{all}");
    }
}
