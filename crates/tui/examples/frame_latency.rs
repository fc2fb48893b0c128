//! The distribution of frame times on the Fleet at 200x50, for the p99 goal
//! of issue #2 (criterion reports means): one key press per frame (cursor
//! down/up alternately, so every frame flushes changed rows), `update` +
//! `settle` + `draw` on a `TestBackend`, timed one by one, 20,000 frames
//! after 2,000 of warm-up, for the sandbox's generated world of 0, 10,000
//! and 100,000 workloads.
//!
//! `cargo run --release -p modeldeck-tui --example frame_latency`
//!
//! With `--pty FILE` the frames go through crossterm to the terminal on
//! stdout instead (a real pseudo-terminal: run it inside tmux at 200x50,
//! as `scripts/bench/frame-latency.sh` does), each timed until its bytes
//! are written and flushed, and the table goes to FILE.

use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_sandbox::{GenSpec, Sandbox};
use modeldeck_tui::action::{Action, Nav};
use modeldeck_tui::{App, render};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

const FRAMES: usize = 20_000;
const WARMUP: usize = 2_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pty = match args.as_slice() {
        [] => None,
        [flag, file] if flag == "--pty" => Some(std::path::PathBuf::from(file)),
        _ => return Err("usage: frame_latency [--pty RESULTS_FILE]".into()),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut table = String::from(
        "| workloads | backend | p50 | p90 | p99 | p99.9 | max | frames |\n|---:|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for n in [0usize, 10_000, 100_000] {
        let sb = Sandbox::generate(&GenSpec {
            workloads: n,
            ..GenSpec::default()
        });
        let console = Console::new(
            sb.backends(),
            ConsoleOptions {
                sandbox: true,
                clock: sb.clock(),
                call_timeout: std::time::Duration::from_secs(600),
                ..Default::default()
            },
        );
        rt.block_on(console.refresh_all());
        let snap = console.snapshot();
        let app = App::new(Arc::new((*snap).clone()), 200, 50);
        let (backend, mut times) = match &pty {
            None => ("TestBackend", frames(app, TestBackend::new(200, 50))?),
            Some(_) => {
                let mut out = std::io::stdout();
                crossterm::execute!(out, crossterm::terminal::EnterAlternateScreen)?;
                let times = frames(app, CrosstermBackend::new(std::io::stdout()));
                crossterm::execute!(out, crossterm::terminal::LeaveAlternateScreen)?;
                ("crossterm, pty", times?)
            }
        };
        times.sort_by(f64::total_cmp);
        let q = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        table.push_str(&format!(
            "| {n} | {backend} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {} |\n",
            q(0.5),
            q(0.9),
            q(0.99),
            q(0.999),
            q(1.0),
            times.len()
        ));
    }
    match pty {
        None => print!("{table}"),
        Some(file) => std::fs::File::create(file)?.write_all(table.as_bytes())?,
    }
    Ok(())
}

/// Times `FRAMES` key presses after `WARMUP`, each from the key to the
/// frame written (for a terminal: flushed to it).
fn frames<B: Backend>(mut app: App, backend: B) -> Result<Vec<f64>, Box<dyn std::error::Error>>
where
    B::Error: std::error::Error + 'static,
{
    app.settle();
    let mut term = Terminal::new(backend)?;
    term.clear()?;
    let mut times = Vec::with_capacity(FRAMES);
    for i in 0..FRAMES + WARMUP {
        let nav = if i % 2 == 0 { Nav::Down } else { Nav::Up };
        let t = Instant::now();
        app.update(Action::Nav(nav));
        app.settle();
        term.draw(|f| render(f, &app))?;
        app.mark_drawn();
        if i >= WARMUP {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(times)
}
