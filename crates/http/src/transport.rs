//! What a reqwest transport error means, in the few kinds a client maps to
//! its own error type, and its cause chain as one line of text.

/// The kind of a transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No complete answer within the timeout.
    Timeout,
    /// No connection: refused, DNS, TLS handshake.
    Connect,
    /// The body was cut off or could not be decoded.
    Body,
    /// A redirect could not be followed.
    Redirect,
    /// Anything else: the connection dropped before an answer came.
    Other,
}

impl TransportKind {
    /// The kind of `e`.
    pub fn of(e: &reqwest::Error) -> TransportKind {
        if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else if e.is_redirect() {
            TransportKind::Redirect
        } else {
            TransportKind::Other
        }
    }
}

/// `error: cause: cause`, each message once. The innermost cause names
/// what really happened ("Connection refused", "UnknownIssuer"). Scrub the
/// result before it leaves the client: a cause may quote a URL.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chains_causes_once() {
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ));
        assert_eq!(error_chain(&e), "outer: Connection refused");
    }

    #[tokio::test]
    async fn a_refused_connection_is_connect() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let client = crate::build_client(&crate::ClientOptions::new(
            std::time::Duration::from_secs(5),
            "t",
        ))
        .unwrap();
        let e = client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(TransportKind::of(&e), TransportKind::Connect);
        assert!(
            error_chain(&e.without_url())
                .to_lowercase()
                .contains("refused")
        );
    }
}
