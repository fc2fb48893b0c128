//! `modeldeck-apiserver --control-signals`, the binary end to end: SIGUSR1
//! drops the watch history (an open watch ends with a 410 Gone event, so its
//! client must list again), SIGUSR2 prints the request counters, ctrl-c
//! still ends it. Unix only (signals).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// A guard against a hung child, not a measurement.
const HANG: Duration = Duration::from_secs(120);

struct Server {
    child: Child,
    lines: Receiver<String>,
}

impl Server {
    fn start(dir: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_modeldeck-apiserver"))
            .args([
                "--plain",
                "--scale",
                "3",
                "--control-signals",
                "--kubeconfig",
            ])
            .arg(dir.join("kubeconfig"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Server { child, lines }
    }

    /// The next stdout line that starts with `prefix` (earlier ones skipped).
    fn line(&self, prefix: &str) -> String {
        loop {
            let l = self
                .lines
                .recv_timeout(HANG)
                .unwrap_or_else(|e| panic!("no line starting with {prefix:?}: {e}"));
            if l.starts_with(prefix) {
                return l;
            }
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 GET (no chunked encoding, connection closed): status and body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(HANG)).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    let body = raw
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

#[test]
fn usr1_expires_history_usr2_prints_counters_ctrl_c_ends() {
    let dir = std::env::temp_dir().join(format!("apiserver-control-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut s = Server::start(&dir);
    let url = s.line("cluster sandbox: ");
    let addr = url
        .trim_start_matches("cluster sandbox: http://")
        .trim_end_matches('/')
        .to_string();
    s.line("serving until ctrl-c");

    let (code, body) = get(&addr, "/apis/apps/v1/deployments?limit=2");
    assert_eq!(code, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let rv = page["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // A watch from that list, open while the history is dropped.
    let mut watch = std::net::TcpStream::connect(&addr).unwrap();
    watch.set_read_timeout(Some(HANG)).unwrap();
    write!(
        watch,
        "GET /apis/apps/v1/deployments?watch=1&resourceVersion={rv} HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    watch.read_exact(&mut head).unwrap();
    assert_eq!(
        &head[9..],
        b"200",
        "the watch did not start: {}",
        String::from_utf8_lossy(&head)
    );
    s.signal("-USR2");
    // The watch is being served: the counters have it (no event yet).
    assert_eq!(
        s.line("requests of "),
        "requests of sandbox: list/deployments=1 watch/deployments=1"
    );

    s.signal("-USR1");
    assert_eq!(
        s.line("history expired"),
        "history expired: cluster sandbox"
    );
    let mut rest = String::new();
    watch.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains("\"type\":\"ERROR\"") && rest.contains("\"code\":410"),
        "the open watch did not end with 410 Gone: {rest}"
    );

    // A new list works, and is counted.
    let (code, body) = get(&addr, "/apis/apps/v1/deployments");
    assert_eq!(code, 200, "{body}");
    s.signal("-USR2");
    assert_eq!(
        s.line("requests of "),
        "requests of sandbox: list/deployments=2 watch/deployments=1"
    );

    s.signal("-INT");
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}
