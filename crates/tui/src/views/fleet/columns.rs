//! The Fleet's columns: titles, which core sort column each maps to, how
//! important each is when the terminal is narrow, and their widths, which
//! are measured once per recompute over the visible rows (not per frame).

use crate::format;
use crate::views::table::{self, ColumnSpec};
use modeldeck_core::fleet::{FleetColumn, FleetRow};
use ratatui::text::Span;

use super::identity::{self, Short};

/// A Fleet column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// Cluster (context).
    Cluster,
    /// Namespace.
    Namespace,
    /// Workload name.
    Name,
    /// Kind.
    Kind,
    /// Registered model.
    Model,
    /// Served version.
    Version,
    /// Aliases on the served version.
    Aliases,
    /// Ready/desired replicas.
    Ready,
    /// Rollout state and detail.
    Rollout,
    /// Requests per second.
    Rps,
    /// p99 latency, ms.
    P99,
    /// Error rate, %.
    Errors,
    /// Drift verdict and PSI.
    Drift,
    /// Consumer lag in messages and its trend (stream consumers).
    Lag,
    /// Age.
    Age,
    /// p99 latency, or a stream consumer's lag: P99MS and LAG in one
    /// column when the terminal has no room for LAG beside the other
    /// health columns (never in [`Col::ALL`]).
    P99OrLag,
}

impl Col {
    /// Display order.
    pub const ALL: [Col; 15] = [
        Col::Cluster,
        Col::Namespace,
        Col::Name,
        Col::Kind,
        Col::Model,
        Col::Version,
        Col::Aliases,
        Col::Ready,
        Col::Rollout,
        Col::Rps,
        Col::P99,
        Col::Errors,
        Col::Drift,
        Col::Lag,
        Col::Age,
    ];

    /// Header text.
    pub fn title(self) -> &'static str {
        match self {
            Col::Cluster => "CONTEXT",
            Col::Namespace => "NAMESPACE",
            Col::Name => "NAME",
            Col::Kind => "KIND",
            Col::Model => "MODEL",
            Col::Version => "VER",
            Col::Aliases => "ALIASES",
            Col::Ready => "READY",
            Col::Rollout => "ROLLOUT",
            Col::Rps => "RPS",
            Col::P99 => "P99MS",
            Col::Errors => "ERR%",
            Col::Drift => "DRIFT",
            Col::Lag => "LAG",
            Col::Age => "AGE",
            Col::P99OrLag => "P99/LAG",
        }
    }

    /// The core sort column, if this column sorts.
    pub fn sort_key(self) -> Option<FleetColumn> {
        Some(match self {
            Col::Cluster => FleetColumn::Cluster,
            Col::Namespace => FleetColumn::Namespace,
            Col::Name => FleetColumn::Name,
            Col::Kind => FleetColumn::Kind,
            Col::Model => FleetColumn::Model,
            Col::Version => FleetColumn::Version,
            Col::Aliases => return None,
            Col::Ready => FleetColumn::Ready,
            Col::Rollout => FleetColumn::Rollout,
            Col::Rps => FleetColumn::Rps,
            Col::P99 => FleetColumn::P99,
            Col::Errors => FleetColumn::Errors,
            Col::Drift => FleetColumn::Drift,
            Col::Lag => FleetColumn::Lag,
            Col::Age => FleetColumn::Age,
            Col::P99OrLag => FleetColumn::P99,
        })
    }

    // Higher stays longer when the terminal is narrow.
    fn priority(self) -> u8 {
        match self {
            Col::Name => 100,
            Col::Model => 95,
            Col::Version => 90,
            Col::Ready => 85,
            Col::Rollout => 80,
            Col::P99 => 75,
            Col::Errors => 74,
            Col::Drift => 73,
            // A consumer's one health number; the column is there only when
            // a stream consumer is (see `Widths::streams`). Below the other
            // health columns: without room, LAG shares P99's column.
            Col::Lag => 72,
            Col::P99OrLag => 75,
            // Core too: same-named workloads in two contexts must not look
            // alike when there is room; on 80 columns health wins and
            // `:ctx` scopes instead.
            Col::Cluster => 72,
            Col::Namespace => 71,
            Col::Aliases => 60,
            Col::Age => 50,
            Col::Rps => 40,
            Col::Kind => 30,
        }
    }

    /// Numbers are right-aligned.
    pub fn right(self) -> bool {
        matches!(
            self,
            Col::Ready | Col::Rps | Col::P99 | Col::Errors | Col::Lag | Col::Age | Col::P99OrLag
        )
    }

    // Widest content shown before truncation.
    fn cap(self) -> u16 {
        match self {
            Col::Cluster | Col::Namespace => 20,
            Col::Name => 40,
            Col::Model => 28,
            Col::Aliases => 24,
            Col::Rollout => 40,
            _ => u16::MAX,
        }
    }

    // Narrowest width worth showing; text columns shrink to it (truncated)
    // before less important columns are dropped.
    fn min(self) -> u16 {
        match self {
            Col::Name => 13,
            // Narrow enough that a context and every health column fit in
            // 80 cells next to them (`demand-fo`; `Progressing` whole).
            Col::Model => 9,
            Col::Rollout => 11,
            Col::Aliases => 8,
            Col::Drift => 5,
            _ => 0,
        }
    }

    // Width of numeric/fixed columns; text columns are measured.
    fn fixed(self) -> Option<u16> {
        match self {
            Col::Kind => Some(8),
            Col::Rps => Some(7),
            Col::P99 => Some(6),
            Col::Errors => Some(6),
            Col::Drift => Some(10),
            Col::Lag => Some(7),
            Col::P99OrLag => Some(7),
            Col::Age => Some(4),
            _ => None,
        }
    }
}

/// Measured width of each column in [`Col::ALL`] order, and how the
/// context and namespace columns keep rows apart when they must shrink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widths {
    cells: [u16; 15],
    /// Whether a measured row is a stream consumer with lag: without one
    /// the LAG column is not shown.
    pub streams: bool,
    /// The context column's identity claim.
    pub cluster: Short,
    /// The namespace column's identity claim.
    pub namespace: Short,
}

impl Default for Widths {
    fn default() -> Self {
        Widths {
            cells: Col::ALL.map(base_width),
            streams: false,
            cluster: Short::default(),
            namespace: Short::default(),
        }
    }
}

// Title plus room for the sort arrow.
fn base_width(c: Col) -> u16 {
    let title = c.title().len() as u16 + 1;
    c.fixed().map_or(title, |f| f.max(title))
}

fn text_width(s: &str) -> u16 {
    // Printable ASCII, nearly every name: one cell a byte.
    let w = if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s.len()
    } else {
        Span::raw(s).width()
    };
    w.min(usize::from(u16::MAX)) as u16
}

impl Widths {
    /// Measures the text columns over `rows`.
    pub fn measure<'a>(rows: impl Iterator<Item = &'a FleetRow>) -> Widths {
        let rows: Vec<&FleetRow> = rows.collect();
        let mut w = Widths::measure_cells(rows.iter().copied());
        (w.cluster, w.namespace) = identity::claims(&rows);
        w
    }

    /// [`Widths::measure`] without the identity claims, for a caller that
    /// keeps them while the rows' identities do not change.
    pub fn measure_cells<'a>(rows: impl Iterator<Item = &'a FleetRow>) -> Widths {
        let mut w = Widths::default();
        for r in rows {
            w.grow_fixed(r);
            w.grow_moving(r);
        }
        w
    }

    /// The columns that move only with the workloads and the models
    /// (identity, model, version, aliases, ready): a refresh that changed
    /// neither keeps them and measures only [`Widths::with_moving`]'s.
    pub fn measure_fixed<'a>(rows: impl Iterator<Item = &'a FleetRow>) -> Widths {
        let mut w = Widths::default();
        for r in rows {
            w.grow_fixed(r);
        }
        w
    }

    /// `self`'s fixed columns with the ones that move with the clock and
    /// the health (rollout and its detail, whether any row has lag)
    /// measured over `rows`.
    pub fn with_moving<'a>(&self, rows: impl Iterator<Item = &'a FleetRow>) -> Widths {
        let mut w = self.clone();
        w.cells[Col::Rollout as usize] = base_width(Col::Rollout);
        w.streams = false;
        for r in rows {
            w.grow_moving(r);
        }
        w
    }

    fn grow(&mut self, c: Col, n: u16) {
        let i = c as usize;
        self.cells[i] = self.cells[i].max(n.min(c.cap()));
    }

    fn grow_fixed(&mut self, r: &FleetRow) {
        self.grow(Col::Cluster, text_width(&r.cluster));
        self.grow(Col::Namespace, text_width(&r.namespace));
        self.grow(Col::Name, text_width(&r.name));
        self.grow(Col::Model, r.model.as_deref().map_or(1, text_width));
        self.grow(
            Col::Version,
            r.version.as_deref().map_or(1, |v| text_width(v) + 1),
        );
        let aliases: u16 = r.aliases.iter().map(|a| text_width(a) + 1).sum();
        self.grow(Col::Aliases, aliases.saturating_sub(1));
        self.grow(Col::Ready, digits(r.ready) + digits(r.desired) + 1);
    }

    fn grow_moving(&mut self, r: &FleetRow) {
        let detail = r.rollout_detail.as_deref().map_or(0, |d| text_width(d) + 1);
        self.grow(Col::Rollout, text_width(&r.rollout) + detail);
        self.streams |= r.stream.is_some();
    }

    /// The columns that fit in `available` cells, with their specs.
    /// `hidden` columns (scoped away) are never shown; the sort column is
    /// always shown so its arrow is. When a stream consumer has lag but
    /// LAG does not fit beside the other health columns, P99MS becomes
    /// [`Col::P99OrLag`] (`P99/LAG`) rather than dropping lag or drift.
    pub fn layout(
        &self,
        available: u16,
        hidden: &[Col],
        sort: Option<(FleetColumn, bool)>,
    ) -> Vec<(Col, ColumnSpec)> {
        let cols = self.fit(available, hidden, sort, false);
        let shown = |c: Col| cols.iter().any(|(x, _)| *x == c);
        if !self.streams || shown(Col::Lag) || !shown(Col::P99) {
            return cols;
        }
        self.fit(available, hidden, sort, true)
            .into_iter()
            .map(|(c, mut spec)| {
                if c == Col::P99 {
                    spec.title = Col::P99OrLag.title();
                    (Col::P99OrLag, spec)
                } else {
                    (c, spec)
                }
            })
            .collect()
    }

    fn fit(
        &self,
        available: u16,
        hidden: &[Col],
        sort: Option<(FleetColumn, bool)>,
        merged: bool,
    ) -> Vec<(Col, ColumnSpec)> {
        let sorted = |c: Col| sort.is_some_and(|(s, _)| c.sort_key() == Some(s));
        let claims: Vec<table::Claim> = Col::ALL
            .iter()
            .map(|&c| {
                let desired = match c {
                    // The title whole, without room for an arrow unless
                    // sorted by it: two cells wider than P99MS would cost DRIFT.
                    Col::P99 if merged && sorted(c) => base_width(Col::P99OrLag),
                    Col::P99 if merged => Col::P99OrLag.title().len() as u16,
                    // READY gives up its arrow room too (`2/5` fits under
                    // `READY`): together the one cell DRIFT needs.
                    Col::Ready
                        if merged && !sorted(c) && self.cells[c as usize] == base_width(c) =>
                    {
                        base_width(c) - 1
                    }
                    _ => self.cells[c as usize],
                };
                let short = self.short(c).filter(|s| s.needed);
                let no_lag = c == Col::Lag && (!self.streams || merged);
                let priority = if hidden.contains(&c) || no_lag {
                    0
                } else if sorted(c) {
                    u8::MAX
                } else if short.is_some() {
                    // Rows must stay tellable apart: a shortened context
                    // or namespace is admitted before any health column.
                    identity::PRIORITY
                } else {
                    c.priority()
                };
                let min = match short {
                    // The short title without room for a sort arrow: an
                    // identity claim is as narrow as its values allow.
                    Some(s) => s.min.max(short_title(c).len() as u16),
                    None if merged && matches!(c, Col::P99 | Col::Ready) => desired,
                    None => c.min().max(base_width(c)),
                };
                table::Claim {
                    min: min.min(desired),
                    desired,
                    priority,
                }
            })
            .collect();
        let widths = table::fit(&claims, available);
        Col::ALL
            .iter()
            .zip(widths)
            .filter_map(|(&c, w)| {
                let arrow = match sort {
                    Some((_, desc)) if sorted(c) => Some(if desc { '↓' } else { '↑' }),
                    _ => None,
                };
                let width = w?;
                let title = if width > c.title().len() as u16 {
                    c.title()
                } else {
                    short_title(c)
                };
                let spec = ColumnSpec {
                    title,
                    width,
                    right: c.right(),
                    arrow,
                };
                Some((c, spec))
            })
            .collect()
    }
}

impl Widths {
    /// The identity claim of the context or namespace column.
    pub fn short(&self, c: Col) -> Option<Short> {
        match c {
            Col::Cluster => Some(self.cluster),
            Col::Namespace => Some(self.namespace),
            _ => None,
        }
    }
}

/// The header of a column too narrow for its full title.
fn short_title(c: Col) -> &'static str {
    match c {
        Col::Cluster => "CTX",
        Col::Namespace => "NS",
        _ => c.title(),
    }
}

fn digits(n: u32) -> u16 {
    n.checked_ilog10().map_or(1, |d| d as u16 + 1)
}

/// A column's text for one row (sanitized by the caller).
pub fn text(c: Col, r: &FleetRow, now: modeldeck_core::domain::Timestamp) -> String {
    match c {
        Col::Cluster => r.cluster.clone(),
        Col::Namespace => r.namespace.clone(),
        Col::Name => r.name.clone(),
        Col::Kind => r.kind.short().to_string(),
        Col::Model => r.model.clone().unwrap_or_else(|| format::MISSING.into()),
        Col::Version => format::version(r.version.as_deref()),
        Col::Aliases if r.aliases.is_empty() => format::MISSING.into(),
        Col::Aliases => r.aliases.join(","),
        Col::Ready => format!("{}/{}", r.ready, r.desired),
        Col::Rollout => match &r.rollout_detail {
            Some(d) => format!("{} {d}", r.rollout),
            None => r.rollout.clone(),
        },
        Col::Rps => format::float(r.rps, 1),
        Col::P99 => format::float(r.p99_ms, 0),
        Col::P99OrLag if r.stream.is_some() => text(Col::Lag, r, now),
        Col::P99OrLag => text(Col::P99, r, now),
        Col::Errors => format::float(r.error_pct, 2),
        Col::Drift => format::drift(r.drift, r.drift_psi),
        Col::Lag => match &r.stream {
            Some(s) => format!(
                "{} {}",
                modeldeck_core::domain::format_messages(s.lag_messages),
                s.trend.arrow()
            ),
            None => format::MISSING.into(),
        },
        Col::Age => format::age(now, r.created_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::WorkloadKind;

    fn row(name: &str, rollout: &str, detail: Option<&str>) -> FleetRow {
        FleetRow {
            kind: WorkloadKind::CronJob,
            model: Some("m".into()),
            version: Some("3".into()),
            aliases: vec!["champion".into()],
            ready: 0,
            desired: 0,
            rollout: rollout.into(),
            rollout_detail: detail.map(Into::into),
            ..super::super::identity::tests::row("prod", "risk", name)
        }
    }

    /// Kept fixed widths plus the moving columns measure what measuring
    /// everything again gives: the same rows with a long rollout, then a
    /// short one (the title's width stays the column's floor).
    #[test]
    fn kept_fixed_widths_with_the_moving_columns_equal_a_full_measure() {
        let wide = [row(
            "a-long-workload-name",
            "Missed",
            Some("due 12m ago, next in 23h"),
        )];
        let short = [row("a-long-workload-name", "Idle", None)];
        let fixed = Widths::measure_fixed(wide.iter());
        for rows in [&wide, &short] {
            assert_eq!(
                fixed.with_moving(rows.iter()),
                Widths::measure_cells(rows.iter())
            );
        }
        assert_eq!(
            fixed.with_moving(short.iter()).cells[Col::Rollout as usize],
            base_width(Col::Rollout)
        );
    }
}
