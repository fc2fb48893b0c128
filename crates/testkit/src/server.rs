//! [`Server`]: the listener, what it recorded, and the [`Reply`] kinds.

use crate::conn::serve;
use crate::tls::TlsCa;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the server does with each request (one request per connection; it
/// closes the connection after answering).
#[derive(Debug, Clone)]
pub enum Reply {
    /// Writes these bytes and closes (no bytes: hangs up without an answer).
    Raw(Vec<u8>),
    /// Writes `head`, then `total` bytes of `fill` in 64 KiB writes (stopping
    /// when the client goes away), then closes.
    Stream {
        /// Status line and headers, blank line included.
        head: String,
        /// Body bytes to send.
        total: u64,
        /// The byte they are made of.
        fill: u8,
    },
    /// Reads the request and never answers (for 60 s at most).
    Silent,
    /// Writes `head`, then one space per `every` (for 60 s at most).
    Trickle {
        /// Status line and headers, blank line included.
        head: String,
        /// Pause between bytes.
        every: Duration,
    },
    /// Answers 500 with the request (headers included) as a text body.
    Echo,
    /// The n-th request (counted from 0 over all connections) gets the n-th
    /// reply; the last one answers every request after it.
    Sequence(Vec<Reply>),
}

impl Reply {
    /// A complete answer with `status` (`"503 Service Unavailable"`),
    /// content type and body.
    pub fn http(status: &str, content_type: &str, body: impl AsRef<[u8]>) -> Reply {
        Reply::Raw(http(status, content_type, body.as_ref()))
    }

    /// `failures` copies of `fail`, then `then` for every later request.
    pub fn fail_then(failures: usize, fail: Reply, then: Reply) -> Reply {
        let mut v = vec![fail; failures];
        v.push(then);
        Reply::Sequence(v)
    }
}

/// An HTTP/1.1 answer with `Content-Length` set to the body's length and
/// `Connection: close`.
pub fn http(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    http_declaring(status, content_type, body, body.len())
}

/// The same, declaring `declared` bytes whatever the body's length (a body
/// cut off before its announced end).
pub fn http_declaring(status: &str, content_type: &str, body: &[u8], declared: usize) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// What the connections share: the requests seen and the bytes streamed.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub(crate) requests: Mutex<Vec<String>>,
    pub(crate) seen: AtomicUsize,
    pub(crate) written: AtomicU64,
}

/// A running test server on `127.0.0.1`. Dropping it stops accepting.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    scheme: &'static str,
    ca_pem: Option<String>,
    record: Arc<Record>,
    accept: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Server {
    /// A plain-HTTP server answering as `reply`.
    pub async fn start(reply: Reply) -> Server {
        Self::start_with(reply, None).await
    }

    /// A TLS server answering as `reply`, whose certificate (for
    /// `localhost` and `127.0.0.1`) a fresh CA signed that nobody trusts.
    pub async fn start_tls(reply: Reply) -> Server {
        Self::start_with(reply, Some(TlsCa::generate())).await
    }

    /// A plain-HTTP server on `127.0.0.1:port` (for a test that starts a
    /// server where a client already failed to connect).
    pub async fn start_on(port: u16, reply: Reply) -> Server {
        Self::start_with_port(port, reply, None).await
    }

    async fn start_with(reply: Reply, tls: Option<TlsCa>) -> Server {
        Self::start_with_port(0, reply, tls).await
    }

    async fn start_with_port(port: u16, reply: Reply, tls: Option<TlsCa>) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let record = Arc::new(Record::default());
        let rec = record.clone();
        let acceptor = tls.as_ref().map(TlsCa::acceptor);
        let accept = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (reply, rec, acceptor) = (reply.clone(), rec.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let budget = Duration::from_secs(60);
                    match acceptor {
                        None => {
                            let _ = tokio::time::timeout(budget, serve(sock, reply, rec)).await;
                        }
                        Some(acceptor) => {
                            // A client that refuses the certificate ends here.
                            let Ok(Ok(tls)) =
                                tokio::time::timeout(budget, acceptor.accept(sock)).await
                            else {
                                return;
                            };
                            let _ = tokio::time::timeout(budget, serve(tls, reply, rec)).await;
                        }
                    }
                });
            }
        });
        Server {
            addr,
            scheme: if tls.is_some() { "https" } else { "http" },
            ca_pem: tls.map(|t| t.ca_pem),
            record,
            accept,
        }
    }

    /// `http://127.0.0.1:<port>` (`https://` for a TLS server), no trailing slash.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the CA that signed a TLS server's certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Writes the CA's PEM into a fresh file under the temp dir (named after
    /// `tag` and the process) and returns its path.
    pub fn write_ca_file(&self, tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "modeldeck-testkit-{tag}-{}-{}",
            std::process::id(),
            self.addr.port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.ca_pem().expect("a TLS server")).unwrap();
        path
    }

    /// Every request read so far (head and body, lossily as text), in order.
    pub fn requests(&self) -> Vec<String> {
        self.record.requests.lock().unwrap().clone()
    }

    /// How many requests were read so far.
    pub fn request_count(&self) -> usize {
        self.record.requests.lock().unwrap().len()
    }

    /// Body bytes a [`Reply::Stream`] wrote so far, over all connections.
    pub fn body_bytes_written(&self) -> u64 {
        self.record
            .written
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}
