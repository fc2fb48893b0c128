//! How a request authenticates: nothing, a bearer token or HTTP basic. The
//! one place a secret is put on the wire.

use modeldeck_core::config::secrets::Secret;
use std::fmt;

/// Credentials of every request of a client. `Debug` shows the user name
/// and the scheme, never the password or token.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// HTTP basic auth.
    Basic {
        /// User name (not secret).
        username: String,
        /// Password.
        password: Secret,
    },
}

impl Auth {
    /// `req` with this `Authorization` header (unchanged for [`Auth::None`]).
    pub fn apply(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => req,
            Auth::Bearer(token) => req.bearer_auth(token.expose()),
            Auth::Basic { username, password } => req.basic_auth(username, Some(password.expose())),
        }
    }

    /// The secret values this auth sends, for the scrubber.
    pub(crate) fn secret_values(&self) -> Vec<&str> {
        match self {
            Auth::None => Vec::new(),
            Auth::Bearer(t) => vec![t.expose()],
            Auth::Basic { password, .. } => vec![password.expose()],
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
            Auth::Basic { username, .. } => {
                write!(f, "Basic {{ username: {username:?}, password: *** }}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_scheme_and_user_never_the_secret() {
        let basic = Auth::Basic {
            username: "bob".into(),
            password: Secret::new("pw-SECRET"),
        };
        let bearer = Auth::Bearer(Secret::new("tok-SECRET"));
        let shown = format!("{basic:?} {bearer:?} {:?}", Auth::None);
        assert_eq!(
            shown,
            "Basic { username: \"bob\", password: *** } Bearer(***) None"
        );
    }

    #[test]
    fn apply_sets_the_authorization_header() {
        let client = crate::build_client(&crate::ClientOptions::new(
            std::time::Duration::from_secs(1),
            "t",
        ))
        .unwrap();
        let header = |auth: Auth| {
            auth.apply(client.get("http://127.0.0.1:1/"))
                .build()
                .unwrap()
                .headers()
                .get(reqwest::header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(header(Auth::None), None);
        assert_eq!(
            header(Auth::Bearer(Secret::new("t0k"))).as_deref(),
            Some("Bearer t0k")
        );
        assert_eq!(
            header(Auth::Basic {
                username: "user".into(),
                password: Secret::new("pass"),
            })
            .as_deref(),
            Some("Basic dXNlcjpwYXNz")
        );
    }
}
