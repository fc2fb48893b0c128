//! Keeps secrets out of text that leaves the client: error messages built
//! from server bodies or transport errors. A server (or proxy) that echoes
//! the `Authorization` header back would otherwise put the token in an
//! error, so both the raw secret and its basic-auth base64 form are masked.

use crate::config::Auth;

/// Replaces known secret strings with `<redacted>`.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    needles: Vec<String>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.needles.len())
    }
}

impl Scrubber {
    /// A scrubber for the secrets of `auth`.
    pub(crate) fn for_auth(auth: &Auth) -> Scrubber {
        let mut needles: Vec<String> = auth
            .secrets()
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Auth::Basic { username, password } = auth {
            needles.push(base64(
                format!("{username}:{}", password.expose()).as_bytes(),
            ));
        }
        // Longest first, so a secret containing another is masked whole.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Scrubber { needles }
    }

    /// `text` with every secret masked.
    pub(crate) fn clean(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), "<redacted>");
            }
        }
        out
    }
}

/// Standard base64 with padding (what HTTP basic auth uses).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn encodes_base64_like_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
    }

    #[test]
    fn masks_raw_and_basic_forms() {
        let s = Scrubber::for_auth(&Auth::Basic {
            username: "user".into(),
            password: Secret::new("pass"),
        });
        let t = s.clean("echo: Basic dXNlcjpwYXNz and pass");
        assert_eq!(t, "echo: Basic <redacted> and <redacted>");
        let s = Scrubber::for_auth(&Auth::Bearer(Secret::new("tok-123")));
        assert_eq!(s.clean("Bearer tok-123"), "Bearer <redacted>");
    }
}
