//! Hand-made snapshots and job answers with fixed timestamps, and a small
//! harness that drives an `App` through keys and draws it on a TestBackend.
#![allow(dead_code)]

pub mod demo;
pub mod fixture;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use modeldeck_core::Snapshot;
use modeldeck_tui::jobs::{JobOutcome, JobRequest, JobResult};
use modeldeck_tui::{Action, App, keymap, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

/// An app, a test terminal of the same size, and the jobs it asked for.
pub struct Harness {
    pub app: App,
    pub terminal: Terminal<TestBackend>,
    pub requests: Vec<JobRequest>,
}

/// The app on the ready fixture fleet at 120x30, settled.
pub fn ready_app() -> Harness {
    let mut t = Harness::new(fixture::ready(), 120, 30);
    t.app.settle();
    t
}

impl Harness {
    pub fn new(snap: Snapshot, width: u16, height: u16) -> Harness {
        let app = App::new(Arc::new(snap), width, height);
        let terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        Harness {
            app,
            terminal,
            requests: Vec::new(),
        }
    }

    pub fn act(&mut self, a: Action) {
        let reqs = self.app.update(a);
        self.requests.extend(reqs);
    }

    /// A key press as the terminal would report it.
    pub fn key_event(&mut self, ev: KeyEvent) {
        let a = keymap::handle_key(self.app.screen(), self.app.typing(), ev);
        if let Some(a) = a {
            self.act(a);
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        self.key_event(KeyEvent::new(code, KeyModifiers::NONE));
    }

    pub fn ctrl(&mut self, c: char) {
        self.key_event(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    }

    /// Types characters one by one (shift implied for capitals).
    pub fn type_str(&mut self, s: &str) {
        for c in s.chars() {
            let mods = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            self.key_event(KeyEvent::new(KeyCode::Char(c), mods));
        }
    }

    /// Runs a `:` command through the prompt.
    pub fn command(&mut self, line: &str) {
        self.type_str(":");
        self.type_str(line);
        self.key(KeyCode::Enter);
    }

    /// The last request, removed from the list.
    pub fn take_request(&mut self) -> JobRequest {
        self.requests.pop().expect("a job request")
    }

    /// Answers a request.
    pub fn answer(&mut self, req: &JobRequest, outcome: JobOutcome) {
        self.act(Action::JobDone(Box::new(JobResult {
            ticket: req.ticket,
            job: req.job.clone(),
            outcome,
        })));
    }

    /// Settles and draws; returns the screen as text.
    pub fn draw(&mut self) -> String {
        self.app.settle();
        self.terminal.draw(|f| render(f, &self.app)).unwrap();
        self.app.mark_drawn();
        self.terminal.backend().to_string()
    }
}

/// Builds the same scene at 80x24 and 200x50 and snapshots both.
#[macro_export]
macro_rules! snap_both {
    ($name:expr, $build:expr) => {{
        for (w, h) in [(80u16, 24u16), (200, 50)] {
            let mut harness: $crate::common::Harness = ($build)(w, h);
            let screen = harness.draw();
            assert!(
                !screen.contains('\u{1b}'),
                "an escape character reached the screen"
            );
            insta::assert_snapshot!(format!("{}_{}x{}", $name, w, h), harness.terminal.backend());
        }
    }};
}
