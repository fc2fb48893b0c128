//! One module per screen: each owns its state, its update and its render.
//! This module holds what they share: the context an update gets, the
//! transition it asks for, and [`Fetched`], the state of data that arrives
//! by an async job.

pub mod card;
pub mod compare;
pub mod cursor;
pub mod drift;
pub mod fleet;
pub mod health;
pub mod help;
pub mod models;
pub mod promotions;
pub mod table;
pub mod table_body;
pub mod text_table;
pub mod versions;
pub mod workload;

use crate::jobs::{Job, JobRequest};
use modeldeck_core::Snapshot;
use modeldeck_core::console::{BackendStatus, PanelState};
use modeldeck_core::domain::Timestamp;
use ratatui::layout::Rect;

/// Which part of the fleet is in view (`:ctx`, `:ns`); `None` means all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Cluster (kube context).
    pub cluster: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
}

impl Scope {
    /// True when a row in `cluster`/`namespace` is in scope.
    pub fn contains(&self, cluster: &str, namespace: &str) -> bool {
        self.cluster.as_deref().is_none_or(|c| c == cluster)
            && self.namespace.as_deref().is_none_or(|n| n == namespace)
    }
}

/// What a screen's update gets to read and where it files async requests.
pub(crate) struct Ctx<'a> {
    pub snap: &'a Snapshot,
    pub now: Timestamp,
    pub scope: &'a Scope,
    /// The body area the screen draws in (for page sizes and clicks).
    pub body: Rect,
    requests: &'a mut Vec<JobRequest>,
    next_ticket: &'a mut u64,
}

impl<'a> Ctx<'a> {
    pub fn new(
        snap: &'a Snapshot,
        now: Timestamp,
        scope: &'a Scope,
        body: Rect,
        requests: &'a mut Vec<JobRequest>,
        next_ticket: &'a mut u64,
    ) -> Self {
        Ctx {
            snap,
            now,
            scope,
            body,
            requests,
            next_ticket,
        }
    }

    /// Files a job and returns its ticket, the generation its answer must carry.
    pub fn request(&mut self, job: Job) -> u64 {
        *self.next_ticket += 1;
        let ticket = *self.next_ticket;
        self.requests.push(JobRequest { ticket, job });
        ticket
    }
}

/// What a screen's update asks the app to do next.
#[derive(Debug)]
pub(crate) enum Transition {
    /// Nothing beyond the screen's own state change.
    Stay,
    /// Open a screen on top.
    Push(crate::app::Screen),
    /// Tell the user something (footer message).
    Flash(String),
    /// Tell the user why something is not possible (footer, as an error).
    Refuse(String),
    /// Open a confirmation dialog.
    Dialog(promotions::dialog::Dialog),
}

/// Data fetched by a job: what we have, the last error, and the ticket of
/// the request in flight. Old data stays on screen while a refresh runs.
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    /// Last good answer.
    pub data: Option<T>,
    /// Last error and when it happened; cleared by a good answer.
    pub error: Option<(String, Timestamp)>,
    /// Ticket of the request in flight.
    pub pending: Option<u64>,
}

impl<T> Default for Fetched<T> {
    fn default() -> Self {
        Fetched {
            data: None,
            error: None,
            pending: None,
        }
    }
}

impl<T> Fetched<T> {
    /// Starts waiting for `ticket`; earlier tickets will be ignored.
    pub fn expect(&mut self, ticket: u64) {
        self.pending = Some(ticket);
    }

    /// True when `ticket` is the answer being waited for.
    pub fn awaits(&self, ticket: u64) -> bool {
        self.pending == Some(ticket)
    }

    /// Stores an answer for the awaited ticket.
    pub fn resolve<E: std::fmt::Display>(&mut self, result: Result<T, E>, now: Timestamp) {
        self.pending = None;
        match result {
            Ok(v) => {
                self.data = Some(v);
                self.error = None;
            }
            Err(e) => self.error = Some((e.to_string(), now)),
        }
    }

    /// The panel state: `backend` makes ready data stale when that backend
    /// is failing now.
    pub fn panel_state(&self, backend: &BackendStatus, empty: impl Fn(&T) -> bool) -> PanelState {
        match (&self.data, &self.error) {
            (None, None) => PanelState::Loading,
            (None, Some((reason, _))) => PanelState::Failed(reason.clone()),
            (Some(_), Some((reason, since))) => PanelState::Stale {
                since: *since,
                reason: reason.clone(),
            },
            (Some(d), None) => match (&backend.error, backend.failing_since) {
                (Some(e), Some(since)) => PanelState::Stale {
                    since,
                    reason: e.to_string(),
                },
                _ if empty(d) => PanelState::Empty,
                _ => PanelState::Ready,
            },
        }
    }
}

/// What a screen's render gets to read.
#[derive(Debug, Clone, Copy)]
pub struct RenderCtx<'a> {
    /// The snapshot on screen.
    pub snap: &'a Snapshot,
    /// The console clock's "now" (ages).
    pub now: Timestamp,
    /// Fleet scope.
    pub scope: &'a Scope,
    /// Workloads with an open promotion (Fleet marks).
    pub marks: &'a std::collections::HashSet<modeldeck_core::domain::WorkloadRef>,
}
