//! Deep links to a promotion: `modeldeck://promotion/<id>?profile=<p>`.
//! `modeldeck promote request` prints one, the desktop's inbox carries one,
//! and the desktop opens the promotion a link names. A link only ever
//! *opens* a promotion; deciding takes a deliberate click in the app, so a
//! link pasted by anyone can do no more than show what it names.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The URL scheme the desktop registers.
pub const SCHEME: &str = "modeldeck";

/// Longest link accepted (a promotion id and a profile name are short; a
/// link far longer is not one of ours).
pub const MAX_LINK: usize = 2048;

// Everything but RFC 3986's unreserved characters is escaped.
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What a deep link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionLink {
    /// The promotion's id.
    pub id: String,
    /// The profile to open it in (`sandbox` for the simulated world).
    pub profile: String,
}

/// The link to promotion `id` in `profile`.
pub fn promotion_link(profile: &str, id: &str) -> String {
    format!(
        "{SCHEME}://promotion/{}?profile={}",
        utf8_percent_encode(id, ESCAPE),
        utf8_percent_encode(profile, ESCAPE)
    )
}

/// Reads a deep link.
///
/// Errors: a message naming what is wrong (another scheme or target, no
/// id, no profile, an unknown parameter, a control character, too long).
pub fn parse_link(link: &str) -> Result<PromotionLink, String> {
    if link.len() > MAX_LINK {
        return Err(format!(
            "the link is {} bytes; a Modeldeck link is at most {MAX_LINK}",
            link.len()
        ));
    }
    let rest = link
        .strip_prefix(SCHEME)
        .and_then(|r| r.strip_prefix("://"))
        .ok_or_else(|| format!("not a {SCHEME}:// link"))?;
    let rest = rest.strip_prefix("promotion/").ok_or(
        "a Modeldeck link names a promotion: modeldeck://promotion/<id>?profile=<profile>",
    )?;
    let (id, query) = rest.split_once('?').unwrap_or((rest, ""));
    let id = decode(id.trim_end_matches('/'), "the promotion id")?;
    if id.is_empty() {
        return Err("the link names no promotion id".into());
    }
    let mut profile = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("profile", v)) => profile = Some(decode(v, "the profile")?),
            _ => {
                return Err(format!(
                    "unknown link parameter {:?} (only profile=)",
                    decode(pair, "a parameter").unwrap_or_default()
                ));
            }
        }
    }
    let profile = profile
        .filter(|p| !p.is_empty())
        .ok_or("the link names no profile (profile=...)")?;
    Ok(PromotionLink { id, profile })
}

fn decode(s: &str, what: &str) -> Result<String, String> {
    let v = percent_decode_str(s)
        .decode_utf8()
        .map_err(|_| format!("{what} in the link is not UTF-8"))?;
    if v.chars().any(char::is_control) {
        return Err(format!("{what} in the link holds a control character"));
    }
    Ok(v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_round_trips_even_with_hostile_text() {
        for (profile, id) in [
            ("sandbox", "fraud-detector-v8-champion"),
            ("prod eu", "a/b?c=d&profile=evil#x"),
            ("ünï", "<script>alert(1)</script>"),
        ] {
            let link = promotion_link(profile, id);
            assert!(link.starts_with("modeldeck://promotion/"), "{link}");
            assert!(!link.contains('<') && !link.contains(' '), "{link}");
            let back = parse_link(&link).unwrap();
            assert_eq!((back.profile.as_str(), back.id.as_str()), (profile, id));
        }
    }

    #[test]
    fn links_that_are_not_ours_are_refused_with_a_reason() {
        let cases = [
            (
                "https://evil.example/promotion/x?profile=p",
                "not a modeldeck://",
            ),
            ("modeldeck://approve/x?profile=p", "names a promotion"),
            ("modeldeck://promotion/?profile=p", "no promotion id"),
            ("modeldeck://promotion/x", "no profile"),
            (
                "modeldeck://promotion/x?profile=p&approve=1",
                "unknown link parameter",
            ),
            ("modeldeck://promotion/x%0A?profile=p", "control character"),
            ("modeldeck://promotion/%FF?profile=p", "not UTF-8"),
        ];
        for (link, want) in cases {
            let e = parse_link(link).unwrap_err();
            assert!(e.contains(want), "{link}: {e}");
        }
        let long = format!("modeldeck://promotion/{}?profile=p", "x".repeat(MAX_LINK));
        assert!(parse_link(&long).unwrap_err().contains("at most"));
    }
}
