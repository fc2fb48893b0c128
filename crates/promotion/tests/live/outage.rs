//! A real network outage between Modeldeck and one backend: a loopback TCP
//! proxy in front of it that, when cut, drops every open connection (watch
//! streams included) and refuses new ones until restored.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Proxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Forwards a fresh loopback port to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (d, c) = (down.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                let mut all = c.lock().unwrap();
                all.retain(|t| !t.is_finished());
                all.push(task);
            }
        });
        Proxy {
            addr,
            down,
            conns,
            accept,
        }
    }

    /// `http://<proxy>` for a backend URL's scheme and path.
    pub fn url(&self, original: &str) -> String {
        let rest = original.split_once("://").map_or(original, |(_, r)| r);
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        format!("http://{}{path}", self.addr)
    }

    /// Cuts (every open connection dropped, new ones refused) or restores.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            for t in self.conns.lock().unwrap().drain(..) {
                t.abort();
            }
        }
    }
}

/// A handle that cuts or restores a [`Proxy`] from anywhere (a pause hook).
#[derive(Clone)]
pub struct Cutter {
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Cutter {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            for t in self.conns.lock().unwrap().drain(..) {
                t.abort();
            }
        }
    }
}

impl Proxy {
    pub fn cutter(&self) -> Cutter {
        Cutter {
            down: self.down.clone(),
            conns: self.conns.clone(),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for t in self.conns.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

/// The socket address of an `http://host:port[/...]` URL.
pub fn addr_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let hostport = rest.split('/').next().unwrap();
    let hostport = hostport.replace("localhost", "127.0.0.1");
    hostport.parse().unwrap()
}
