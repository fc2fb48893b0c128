//! A private tmux server driving a shell in a 160x45 pane: type keys, read
//! the screen, wait for text with a deadline. Each harness has its own
//! socket (`tmux -L`) and kills its server on drop, pass or fail.

#![allow(dead_code)]

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The shell prompt, unique enough to never appear in the UI.
pub const PROMPT: &str = "md-test-prompt$ ";
/// How long any single screen may take to appear.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// One tmux server with one session running `bash`.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts the server and a clean bash in a `width` x `height` pane,
    /// then waits for the prompt.
    pub fn start(width: u16, height: u16) -> Tmux {
        static N: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "modeldeck-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let t = Tmux { socket };
        let size = (width.to_string(), height.to_string());
        t.ok(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &size.0,
            "-y",
            &size.1,
            "env",
            &format!("PS1={PROMPT}"),
            "TERM=xterm-256color",
            "bash",
            "--norc",
            "--noprofile",
        ]);
        // Keep the pane open if the shell exits, so a failure can be read.
        t.ok(&["set-option", "-g", "remain-on-exit", "on"]);
        t.wait_for("the shell prompt", |s| s.contains(PROMPT.trim_end()));
        t
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux: {e}"))
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.ok(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Sends tmux key names (`Enter`, `Escape`, `Down`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.ok(&args);
    }

    /// Types a shell command line and presses Enter.
    pub fn shell(&self, line: &str) {
        self.type_text(line);
        self.keys(&["Enter"]);
    }

    /// The visible screen, one line per row.
    pub fn screen(&self) -> String {
        self.ok(&["capture-pane", "-p", "-t", "t"])
    }

    /// A pane variable (`alternate_on`, `mouse_any_flag`...).
    pub fn pane_flag(&self, name: &str) -> String {
        self.ok(&["display-message", "-p", "-t", "t", &format!("#{{{name}}}")])
            .trim()
            .to_string()
    }

    /// Polls the screen until `check` holds; panics with the last screen
    /// after [`DEADLINE`].
    pub fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_within(DEADLINE, what, check)
    }

    /// [`Tmux::wait_for`] with its own deadline (a rollout on the wall clock).
    pub fn wait_within(
        &self,
        deadline: Duration,
        what: &str,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if check(&s) {
                return s;
            }
            if start.elapsed() > deadline {
                panic!("timed out after {deadline:?} waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
