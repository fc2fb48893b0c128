//! One connection: read the request off the socket, answer as the
//! [`Reply`] says, close.

use crate::server::{Record, Reply, http};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Reads one request: its head, then as much body as `Content-Length`
/// says. Stops early on anything that is not HTTP (a TLS handshake sent to
/// a plain port), so the server answers it like a plain server would.
async fn read_request<S: AsyncRead + Unpin>(sock: &mut S) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 16 * 1024];
    loop {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return (!buf.is_empty()).then_some(buf);
        }
        buf.extend_from_slice(&tmp[..n]);
        if !buf[0].is_ascii_uppercase() || buf.len() > 1 << 20 {
            return Some(buf);
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(buf);
            }
        }
    }
}

/// Serves one connection.
pub(crate) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut sock: S,
    reply: Reply,
    record: Arc<Record>,
) {
    let Some(req) = read_request(&mut sock).await else {
        return;
    };
    let n = record.seen.fetch_add(1, Ordering::SeqCst);
    record
        .requests
        .lock()
        .unwrap()
        .push(String::from_utf8_lossy(&req).into_owned());
    let mut reply = reply;
    while let Reply::Sequence(v) = reply {
        reply = match v.get(n).or(v.last()) {
            Some(r) => r.clone(),
            None => Reply::Raw(Vec::new()),
        };
    }
    match reply {
        Reply::Raw(bytes) => {
            let _ = sock.write_all(&bytes).await;
        }
        Reply::Stream { head, total, fill } => {
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![fill; 64 * 1024];
            let mut sent = 0u64;
            while sent < total {
                let n = chunk.len().min((total - sent) as usize);
                if sock.write_all(&chunk[..n]).await.is_err() {
                    return; // the client hung up
                }
                sent += n as u64;
                record.written.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
        Reply::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
        Reply::Trickle { head, every } => {
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            loop {
                tokio::time::sleep(every).await;
                if sock.write_all(b" ").await.is_err() {
                    return;
                }
            }
        }
        Reply::Echo => {
            let _ = sock
                .write_all(&http("500 Internal Server Error", "text/plain", &req))
                .await;
        }
        Reply::Sequence(_) => {}
    }
    let _ = sock.shutdown().await;
}
