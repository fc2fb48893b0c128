//! Base URLs and printable URLs. A base URL never carries credentials: a
//! `user:password@` part becomes basic auth and is removed, so no location
//! in an error or log can show it. A printed URL loses user info and the
//! values of query parameters that look like secrets.

use crate::Secret;
use crate::auth::Auth;
use crate::scrub::{MASK, strip_userinfo};
use percent_encoding::percent_decode_str;
use url::Url;

/// Why a base URL is unusable. Messages never show the URL's user info.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not a URL at all.
    #[error("{url:?} is not a valid URL: {reason}")]
    Invalid {
        /// The text, user info masked.
        url: String,
        /// What the parser said.
        reason: String,
    },
    /// Not http or https.
    #[error("{url:?}: scheme {scheme:?} is not http or https")]
    Scheme {
        /// The URL, user info removed.
        url: String,
        /// The scheme found.
        scheme: String,
    },
}

/// Splits `raw` into a base URL without user info, query or fragment whose
/// path ends in `/` (so joining a relative path keeps a prefix such as
/// `/prometheus/`), and the basic auth its user info held (percent-decoded:
/// `s%40cret` is the password `s@cret`), if any.
pub fn parse_base_url(raw: &str) -> Result<(Url, Option<Auth>), BaseUrlError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| BaseUrlError::Invalid {
        url: strip_userinfo(raw.trim()),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BaseUrlError::Scheme {
            url: redact_url(&url),
            scheme: url.scheme().to_string(),
        });
    }
    let found = if url.username().is_empty() {
        None
    } else {
        Some(Auth::Basic {
            username: decode(url.username()),
            password: Secret::new(decode(url.password().unwrap_or(""))),
        })
    };
    // Both setters fail only for URLs that cannot have credentials, which
    // http(s) URLs can.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok((url, found))
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Query keys whose values are masked when a URL is printed.
const SECRET_KEYS: [&str; 7] = [
    "key",
    "api_key",
    "apikey",
    "secret",
    "signature",
    "sig",
    "auth",
];

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&k.as_str())
        || k.contains("token")
        || k.contains("password")
        || k.starts_with("x-amz-")
}

/// `url` without user name, password or fragment, and with the values of
/// secret-looking query parameters (`token`, `access_token`, `password`,
/// `api_key`, `sig`, `X-Amz-*`...) replaced by `***`.
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    // Fails only for URLs that cannot carry credentials anyway.
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_fragment(None);
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_key(&k) {
                    MASK.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_lose_credentials_and_keep_their_prefix() {
        let (u, a) = parse_base_url(" https://bob:s%40cret@thanos.example/prom?x=1#f ").unwrap();
        assert_eq!(u.as_str(), "https://thanos.example/prom/");
        let Some(Auth::Basic { username, password }) = a else {
            panic!("no auth")
        };
        assert_eq!((username.as_str(), password.expose()), ("bob", "s@cret"));
        let (u, a) = parse_base_url("http://h:5000").unwrap();
        assert_eq!((u.as_str(), a), ("http://h:5000/", None));
    }

    #[test]
    fn unusable_urls_are_refused_without_showing_secrets() {
        let e = parse_base_url("file:///tmp/mlruns").unwrap_err();
        assert!(matches!(e, BaseUrlError::Scheme { ref scheme, .. } if scheme == "file"));
        let e = parse_base_url("ftp://u:pw-SECRET@h/").unwrap_err();
        assert!(!e.to_string().contains("pw-SECRET"), "{e}");
        let e = parse_base_url("http://bob:pw-SECRET@[bad").unwrap_err();
        assert!(matches!(e, BaseUrlError::Invalid { .. }), "{e}");
        assert!(!e.to_string().contains("pw-SECRET"), "{e}");
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn printed_urls_hide_userinfo_and_secret_query_values() {
        let u = Url::parse(
            "https://bob:hunter2@mlflow.example/api/2.0/mlflow/x?name=m&token=abc&page_token=eyJ&X-Amz-Signature=s1#frag",
        )
        .unwrap();
        let r = redact_url(&u);
        for secret in ["bob", "hunter2", "abc", "eyJ", "s1", "frag"] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        assert!(
            r.starts_with("https://mlflow.example/api/2.0/mlflow/x?name=m&"),
            "{r}"
        );
        let plain = Url::parse("http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc").unwrap();
        assert_eq!(redact_url(&plain), plain.as_str());
    }
}
