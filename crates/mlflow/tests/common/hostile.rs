//! A tiny raw-HTTP server on loopback that misbehaves on purpose: it is not
//! MLflow and does not pretend to be, it is the hostile network the client
//! must survive (HTML pages, broken JSON, huge bodies, silence).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with each request.
#[derive(Clone)]
pub enum Behavior {
    /// Writes these bytes and closes.
    Raw(Vec<u8>),
    /// Writes `head`, then `total` bytes of `fill` in 64 KiB writes (stops
    /// when the client goes away), then closes.
    Stream { head: String, total: u64, fill: u8 },
    /// Reads the request and never answers (for 30 s at most).
    Silent,
    /// Sends headers, then one byte per `every` (for 30 s at most).
    Trickle { head: String, every: Duration },
    /// Answers 500 with the request (headers included) as the body.
    Echo,
}

/// A running hostile server.
pub struct Hostile {
    pub addr: SocketAddr,
    /// Body bytes written so far, over all connections.
    pub written: Arc<AtomicU64>,
}

impl Hostile {
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// An HTTP/1.1 response with `status`, `ctype` and `body`, Content-Length set.
pub fn response(status: &str, ctype: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Starts a server that behaves as `b` on every connection.
pub async fn start(b: Behavior) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let w = written.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let b = b.clone();
            let w = w.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(30), serve(sock, b, w)).await;
            });
        }
    });
    Hostile { addr, written }
}

async fn read_request(sock: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 1 << 20 {
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
    buf
}

async fn serve(mut sock: TcpStream, b: Behavior, written: Arc<AtomicU64>) {
    let req = read_request(&mut sock).await;
    match b {
        Behavior::Raw(bytes) => {
            let _ = sock.write_all(&bytes).await;
        }
        Behavior::Stream { head, total, fill } => {
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![fill; 64 * 1024];
            let mut sent = 0u64;
            while sent < total {
                let n = chunk.len().min((total - sent) as usize);
                if sock.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
                sent += n as u64;
                written.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
        Behavior::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Behavior::Trickle { head, every } => {
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..1000 {
                tokio::time::sleep(every).await;
                if sock.write_all(b" ").await.is_err() {
                    return;
                }
            }
        }
        Behavior::Echo => {
            let _ = sock
                .write_all(&response("500 Internal Server Error", "text/plain", &req))
                .await;
        }
    }
    let _ = sock.shutdown().await;
}
