//! Judging one HTTP answer: a Prometheus envelope (success or error, with
//! any status), or something else (an HTML login page, a proxy's 502, cut
//! off JSON). Pure function of status, content type and body, so the hostile
//! cases are unit-testable and the integration tests check it against a
//! real server.

use crate::error::{ApiErrorType, PromErrorKind};
use crate::wire::{ApiResponse, Envelope};
use modeldeck_http::Scrubber;
use serde_json::Value;

/// Longest piece of a non-Prometheus body quoted in an error.
const SNIPPET_CHARS: usize = 160;

/// Decodes the envelope of an answer with HTTP `status`.
pub(crate) fn decode_envelope(
    status: u16,
    content_type: &str,
    body: &[u8],
    scrubber: &Scrubber,
) -> Result<ApiResponse<Value>, PromErrorKind> {
    let ok_status = (200..300).contains(&status);
    let env: Envelope = match serde_json::from_slice(body) {
        Ok(env) => env,
        Err(e) if ok_status => {
            let reason = if body.is_empty() {
                "empty body where JSON was expected".to_string()
            } else if !content_type.contains("json") {
                format!(
                    "expected JSON, got {content_type}: {}",
                    snippet(body, scrubber)
                )
            } else {
                format!("invalid JSON ({e}): {}", snippet(body, scrubber))
            };
            return Err(PromErrorKind::Malformed { reason });
        }
        Err(_) => {
            return Err(PromErrorKind::Http {
                status,
                snippet: snippet(body, scrubber),
            });
        }
    };
    match env.status.as_str() {
        "error" => Err(PromErrorKind::Api {
            status,
            error_type: ApiErrorType::parse(env.error_type.as_deref().unwrap_or("")),
            message: scrubber.clean(env.error.as_deref().unwrap_or("(no message)")),
        }),
        "success" if ok_status => match env.data {
            Some(data) => Ok(ApiResponse {
                data,
                warnings: env.warnings,
                infos: env.infos,
            }),
            None => Err(PromErrorKind::Malformed {
                reason: "success answer without data".into(),
            }),
        },
        "success" => Err(PromErrorKind::Http {
            status,
            snippet: snippet(body, scrubber),
        }),
        // JSON that is not Prometheus's with an error status (an auth proxy,
        // a Kubernetes API server proxy answering a `Status`): the HTTP
        // status says what happened (401, 403, 404...), not "malformed".
        _ if !ok_status => Err(PromErrorKind::Http {
            status,
            snippet: snippet(body, scrubber),
        }),
        other => Err(PromErrorKind::Malformed {
            reason: format!("envelope status {other:?} is neither \"success\" nor \"error\""),
        }),
    }
}

/// The start of a body as one printable line, secrets masked.
pub(crate) fn snippet(body: &[u8], scrubber: &Scrubber) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    let text = String::from_utf8_lossy(body);
    let clean = scrubber.clean(&text);
    let mut out = String::new();
    let mut last_space = false;
    for c in clean.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && (last_space || out.is_empty()) {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
        if out.chars().count() >= SNIPPET_CHARS {
            out.push('…');
            break;
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: u16, ct: &str, body: &str) -> Result<ApiResponse<Value>, PromErrorKind> {
        decode_envelope(status, ct, body.as_bytes(), &Scrubber::default())
    }

    #[test]
    fn reads_success_and_annotations() {
        let r = run(
            200,
            "application/json",
            r#"{"status":"success","data":[],"warnings":["w"],"infos":["i"]}"#,
        )
        .unwrap();
        assert_eq!((r.warnings, r.infos), (vec!["w".into()], vec!["i".into()]));
    }

    #[test]
    fn reads_error_envelopes_with_any_status() {
        let e = run(
            422,
            "application/json",
            r#"{"status":"error","errorType":"execution","error":"boom","data":null}"#,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            PromErrorKind::Api {
                status: 422,
                error_type: ApiErrorType::Execution,
                ..
            }
        ));
    }

    #[test]
    fn calls_html_and_broken_json_malformed() {
        let e = run(200, "text/html", "<html>\n<body>Login</body></html>").unwrap_err();
        let PromErrorKind::Malformed { reason } = e else {
            panic!("{e:?}")
        };
        assert!(
            reason.contains("text/html") && reason.contains("<body>Login"),
            "{reason}"
        );
        let e = run(200, "application/json", r#"{"status":"succ"#).unwrap_err();
        assert!(
            matches!(e, PromErrorKind::Malformed { ref reason } if reason.contains("EOF")),
            "{e:?}"
        );
        let e = run(502, "text/html", "<h1>Bad Gateway</h1>").unwrap_err();
        assert!(matches!(e, PromErrorKind::Http { status: 502, .. }));
        let e = run(200, "application/json", r#"{"status":"success"}"#).unwrap_err();
        assert!(matches!(e, PromErrorKind::Malformed { .. }));
    }

    #[test]
    fn snippets_are_short_single_lines() {
        let long = "x\n".repeat(500);
        let s = snippet(long.as_bytes(), &Scrubber::default());
        assert!(!s.contains('\n') && s.chars().count() <= SNIPPET_CHARS + 1);
    }
}
