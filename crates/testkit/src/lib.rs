//! Test servers for the HTTP clients' hostile-network tests, one copy for
//! every crate: [`Server`] listens on loopback, reads each request off the
//! raw socket and answers as a [`Reply`] says: a canned answer, a 100 MB
//! stream, silence, a trickle, an echo of the request, or a sequence (fail
//! N times, then succeed). [`Server::start_tls`] serves the same over TLS
//! with a certificate from a throwaway CA that no system trusts
//! ([`Server::ca_pem`] hands it to the test that wants to trust it).
//!
//! It is not MLflow, Prometheus or Kubernetes and does not pretend to be:
//! it is the network a client must survive. Nothing above the socket is
//! mocked.

// A test server that cannot bind or mint a certificate fails its test
// loudly, so unwrap and expect are the right answers here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conn;
pub mod fuzz;
mod server;
mod tls;

pub use server::{Reply, Server, http, http_declaring};
