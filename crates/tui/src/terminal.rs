//! Owning the terminal: raw mode, alternate screen and mouse capture on the
//! way in; all of it undone on the way out, whether the UI returns, fails
//! or panics. The panic hook restores the terminal before the previous
//! hook prints, so the panic message is readable, and raises a flag so the
//! event loop stops instead of drawing on a restored terminal.

use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout, stdout};
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// True while the terminal is in TUI mode. Restoring twice is not
/// harmless: leaving the alternate screen again moves the cursor back to
/// where it was saved on entry, so whatever was printed since (a panic's
/// message) would be overwritten by the shell's next lines.
static IN_TUI: AtomicBool = AtomicBool::new(false);

/// The terminal in TUI mode; dropping it restores the terminal.
pub(crate) struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    mouse: bool,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen (and mouse capture). On a
    /// failure half-way, what was done is undone before returning it.
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        enable_raw_mode()?;
        IN_TUI.store(true, Ordering::SeqCst);
        let setup = || -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
            let mut out = stdout();
            execute!(out, EnterAlternateScreen)?;
            if mouse {
                execute!(out, EnableMouseCapture)?;
            }
            let mut t = Terminal::new(CrosstermBackend::new(out))?;
            t.clear()?;
            Ok(t)
        };
        match setup() {
            Ok(terminal) => Ok(TerminalGuard { terminal, mouse }),
            Err(e) => {
                restore(mouse);
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

/// Puts the terminal back, once; every step is attempted even if one fails.
pub(crate) fn restore(mouse: bool) {
    if !IN_TUI.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// The installed panic hook; dropping it puts the previous hook back.
pub(crate) struct PanicHook {
    previous: Arc<Hook>,
    fired: Arc<AtomicBool>,
}

impl PanicHook {
    /// Installs a hook that restores the terminal, then calls the hook
    /// that was installed before.
    pub fn install(mouse: bool) -> PanicHook {
        let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
        let fired = Arc::new(AtomicBool::new(false));
        let (chained, flag) = (previous.clone(), fired.clone());
        std::panic::set_hook(Box::new(move |info| {
            if !flag.swap(true, Ordering::SeqCst) {
                restore(mouse);
            }
            chained(info);
        }));
        PanicHook { previous, fired }
    }

    /// True once a panic (in any thread) restored the terminal.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Drop for PanicHook {
    fn drop(&mut self) {
        // set_hook panics on a panicking thread; the chained hook stays then.
        if !std::thread::panicking() {
            let previous = self.previous.clone();
            std::panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}
