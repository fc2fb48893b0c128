//! Control signals of a serving process (`modeldeck-apiserver
//! --control-signals`, unix only), so a benchmark can force what a real
//! cluster does on its own schedule and count what clients did about it:
//!
//! - SIGUSR1 drops every server's watch history, as when etcd compacts:
//!   open watches end with 410 Gone and every older resourceVersion
//!   expires, so watching clients must list again. Prints one line per
//!   server: `history expired: cluster <name>`.
//! - SIGUSR2 prints every server's request counters, one line per server:
//!   `requests of <name>: list/deployments=20 watch/deployments=3 ...`.
//!
//! Without the option the signals keep their default action.

use crate::server::ApiServerHandle;
use std::collections::BTreeMap;

/// `requests of <cluster>: <verb>/<resource>=<n> ...`, counters in
/// (verb, resource) order; `requests of <cluster>: none` when empty.
pub fn counters_line(cluster: &str, counts: &BTreeMap<(String, String), u64>) -> String {
    if counts.is_empty() {
        return format!("requests of {cluster}: none");
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|((verb, res), n)| format!("{verb}/{res}={n}"))
        .collect();
    format!("requests of {cluster}: {}", parts.join(" "))
}

/// Drops the watch history of every server (SIGUSR1); one line per server.
pub fn expire_all(servers: &[ApiServerHandle]) -> Vec<String> {
    servers
        .iter()
        .map(|s| {
            s.expire_history();
            format!("history expired: cluster {}", s.cluster_name())
        })
        .collect()
}

/// The request counters of every server (SIGUSR2); one line per server.
pub fn counters_all(servers: &[ApiServerHandle]) -> Vec<String> {
    servers
        .iter()
        .map(|s| counters_line(s.cluster_name(), &s.request_counts()))
        .collect()
}

/// SIGUSR1 and SIGUSR2 handlers, installed (the default action, ending the
/// process, no longer applies from here on).
#[cfg(unix)]
pub struct Signals {
    usr1: tokio::signal::unix::Signal,
    usr2: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Installs the handlers; call before announcing that the servers serve.
    pub fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            usr1: signal(SignalKind::user_defined1())?,
            usr2: signal(SignalKind::user_defined2())?,
        })
    }

    /// Acts on the signals until ctrl-c (SIGINT), printing each action's
    /// lines on stdout.
    pub async fn serve_until_ctrl_c(mut self, servers: &[ApiServerHandle]) -> std::io::Result<()> {
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            let lines = tokio::select! {
                r = &mut ctrl_c => return r,
                _ = self.usr1.recv() => expire_all(servers),
                _ = self.usr2.recv() => counters_all(servers),
            };
            for l in lines {
                println!("{l}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn counters_line_lists_verb_and_resource_in_order() {
        let mut c = BTreeMap::new();
        assert_eq!(counters_line("a", &c), "requests of a: none");
        c.insert(("watch".to_string(), "deployments".to_string()), 3);
        c.insert(("list".to_string(), "deployments".to_string()), 20);
        assert_eq!(
            counters_line("a", &c),
            "requests of a: list/deployments=20 watch/deployments=3"
        );
    }
}
