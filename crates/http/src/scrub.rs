//! Keeps secrets out of every text that leaves a client: error messages
//! built from transport errors or server bodies. A server or proxy that
//! echoes the request back (headers included) or quotes the token in its
//! own words would otherwise put the secret in an error, a log or the JSON
//! output, so the scrubber masks the raw secret, its basic-auth base64 form,
//! its percent-encoded form, the word after the auth scheme in an echoed
//! `Authorization` header, and the user info of any URL in the text.

use crate::auth::Auth;
use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What percent-encoding leaves alone (RFC 3986 unreserved characters).
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a masked secret reads as.
pub const MASK: &str = "***";

/// Secrets shorter than this are masked only as whole words, so that a
/// two-letter password does not turn every message into asterisks.
const MIN_SUBSTRING_LEN: usize = 4;

/// Masks the secrets of one [`Auth`] in any text. `Debug` shows only how
/// many secrets it knows.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Longest first, so a secret containing another is masked whole.
    needles: Vec<String>,
    /// The auth scheme word (`Bearer `, `Basic `) whose following word is
    /// a credential in an echoed header.
    scheme: Option<&'static str>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.needles.len())
    }
}

impl Scrubber {
    /// A scrubber for the secrets `auth` sends.
    pub fn for_auth(auth: &Auth) -> Scrubber {
        let mut needles: Vec<String> = Vec::new();
        for s in auth.secret_values().into_iter().filter(|s| !s.is_empty()) {
            needles.push(s.to_string());
            let encoded = utf8_percent_encode(s, ENCODED).to_string();
            if encoded != s {
                needles.push(encoded);
            }
        }
        let scheme = match auth {
            Auth::None => None,
            Auth::Bearer(_) => Some("Bearer "),
            Auth::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                needles.push(base64::engine::general_purpose::STANDARD.encode(pair));
                Some("Basic ")
            }
        };
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        Scrubber { needles, scheme }
    }

    /// `text` with every known secret, every credential after the auth
    /// scheme word and every URL's user info replaced by [`MASK`].
    pub fn clean(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.needles {
            out = if n.chars().count() >= MIN_SUBSTRING_LEN {
                out.replace(n.as_str(), MASK)
            } else {
                replace_words(&out, n)
            };
        }
        if let Some(scheme) = self.scheme {
            out = hide_after(&out, scheme);
        }
        strip_userinfo(&out)
    }
}

/// `text` with the user info of every `scheme://user:password@host` in it
/// replaced by [`MASK`] (`scheme://***@host`). Needs no known secret: for
/// texts that quote a URL as the user typed it.
pub fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces the word following each `marker` with [`MASK`].
fn hide_after(s: &str, marker: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        let after = &rest[i + marker.len()..];
        let end = after
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(after.len());
        if end > 0 {
            out.push_str(MASK);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces `word` where it stands alone (no letter or digit either side).
fn replace_words(s: &str, word: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(word) {
        let before = if i == 0 {
            out.chars().last()
        } else {
            rest[..i].chars().last()
        };
        let after = rest[i + word.len()..].chars().next();
        let alone =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..i]);
        out.push_str(if alone { MASK } else { word });
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn basic(user: &str, pw: &str) -> Scrubber {
        Scrubber::for_auth(&Auth::Basic {
            username: user.into(),
            password: Secret::new(pw),
        })
    }

    #[test]
    fn masks_raw_base64_and_percent_encoded_forms() {
        let s = basic("user", "pass");
        assert_eq!(
            s.clean("echo: Basic dXNlcjpwYXNz and pass"),
            "echo: Basic *** and ***"
        );
        let s = basic("ops", "s@cret!");
        assert_eq!(s.clean("q=s%40cret%21 raw s@cret!"), "q=*** raw ***");
        let s = Scrubber::for_auth(&Auth::Bearer(Secret::new("tok-123")));
        assert_eq!(
            s.clean("token tok-123 has expired"),
            "token *** has expired"
        );
    }

    #[test]
    fn masks_the_credential_of_an_echoed_header_of_the_scheme_in_use() {
        let s = Scrubber::for_auth(&Auth::Bearer(Secret::new("abcdef")));
        assert_eq!(
            s.clean("authorization: Bearer other.jwt rest"),
            "authorization: Bearer *** rest"
        );
        assert_eq!(s.clean("x\"Bearer \""), "x\"Bearer \"");
        // Without basic auth, "Basic " is prose, not a header.
        assert_eq!(s.clean("Basic auth is off"), "Basic auth is off");
        let s = basic("u", "pw-long");
        assert_eq!(s.clean("x\"Basic Zm9vOmJhcg==\""), "x\"Basic ***\"");
    }

    #[test]
    fn short_secrets_are_masked_as_whole_words_only() {
        let s = basic("bob", "ab");
        assert_eq!(
            s.clean("password ab is wrong; about tabs"),
            "password *** is wrong; about tabs"
        );
        assert_eq!(s.clean("ab"), "***");
    }

    #[test]
    fn urls_lose_their_user_info() {
        assert_eq!(
            strip_userinfo("GET https://bob:hunter2@h:5000/x?y and http://h/ok"),
            "GET https://***@h:5000/x?y and http://h/ok"
        );
        assert_eq!(strip_userinfo("\"http://t@h\""), "\"http://***@h\"");
        assert_eq!(strip_userinfo("no url here"), "no url here");
        let s = Scrubber::default();
        assert_eq!(s.clean("at http://u:p@host/"), "at http://***@host/");
    }

    #[test]
    fn debug_does_not_show_the_secrets() {
        let s = basic("bob", "pw-SECRET");
        assert_eq!(format!("{s:?}"), "Scrubber(2 secrets)");
    }
}
