//! Just enough Kubernetes protobuf to read the review requests kubectl
//! sends as `application/vnd.kubernetes.protobuf` (SelfSubjectAccessReview,
//! SelfSubjectRulesReview, SelfSubjectReview): the `k8s\0` envelope, the
//! `runtime.Unknown` wrapper and the few messages, decoded to the JSON shape
//! the JSON path takes. Answers still go out as JSON, which clients accept.

use crate::status::{ApiError, ApiResult};
use serde_json::{Map, Value, json};

/// Content type of Kubernetes protobuf.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

enum Field<'a> {
    Scalar,
    Bytes(&'a [u8]),
}

fn bad(what: &str) -> ApiError {
    ApiError::bad_request(format!("cannot decode protobuf body: {what}"))
}

fn varint(buf: &[u8], pos: &mut usize) -> ApiResult<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or_else(|| bad("truncated varint"))?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(out);
        }
    }
    Err(bad("varint too long"))
}

fn fields(buf: &[u8]) -> ApiResult<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (no, wire) = (key >> 3, key & 7);
        let f = match wire {
            0 => {
                varint(buf, &mut pos)?;
                Field::Scalar
            }
            2 => {
                let len = varint(buf, &mut pos)? as usize;
                let end = pos
                    .checked_add(len)
                    .filter(|e| *e <= buf.len())
                    .ok_or_else(|| bad("length past the end"))?;
                let s = &buf[pos..end];
                pos = end;
                Field::Bytes(s)
            }
            1 => {
                pos += 8;
                Field::Scalar
            }
            5 => {
                pos += 4;
                Field::Scalar
            }
            w => return Err(bad(&format!("unsupported wire type {w}"))),
        };
        out.push((no, f));
    }
    Ok(out)
}

fn sub(buf: &[u8], no: u64) -> ApiResult<Option<&[u8]>> {
    Ok(fields(buf)?.into_iter().find_map(|(n, f)| match f {
        Field::Bytes(b) if n == no => Some(b),
        _ => None,
    }))
}

/// A message of string fields, by field number.
fn strings(buf: &[u8], names: &[(u64, &str)]) -> ApiResult<Value> {
    let mut m = Map::new();
    for (n, f) in fields(buf)? {
        if let (Some((_, name)), Field::Bytes(b)) = (names.iter().find(|(k, _)| *k == n), f) {
            let s = std::str::from_utf8(b).map_err(|_| bad("string is not UTF-8"))?;
            m.insert((*name).into(), json!(s));
        }
    }
    Ok(Value::Object(m))
}

/// Decodes a protobuf request body for `kind` to its JSON form.
pub fn decode(kind: &str, body: &[u8]) -> ApiResult<Value> {
    let inner = body
        .strip_prefix(b"k8s\0")
        .ok_or_else(|| bad("missing the k8s envelope"))?;
    let raw = sub(inner, 2)?.unwrap_or(&[]);
    match kind {
        "SelfSubjectAccessReview" => {
            let mut spec = json!({});
            if let Some(s) = sub(raw, 2)? {
                if let Some(ra) = sub(s, 1)? {
                    spec["resourceAttributes"] = strings(
                        ra,
                        &[
                            (1, "namespace"),
                            (2, "verb"),
                            (3, "group"),
                            (4, "version"),
                            (5, "resource"),
                            (6, "subresource"),
                            (7, "name"),
                        ],
                    )?;
                }
                if let Some(na) = sub(s, 2)? {
                    spec["nonResourceAttributes"] = strings(na, &[(1, "path"), (2, "verb")])?;
                }
            }
            Ok(json!({"spec": spec}))
        }
        "SelfSubjectRulesReview" => {
            let spec = match sub(raw, 2)? {
                Some(s) => strings(s, &[(1, "namespace")])?,
                None => json!({}),
            };
            Ok(json!({"spec": spec}))
        }
        _ => Ok(json!({})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(no: u64, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![((no << 3) | 2) as u8, payload.len() as u8];
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn decodes_an_access_review() {
        let mut ra = ld(1, b"ml");
        ra.extend(ld(2, b"patch"));
        ra.extend(ld(3, b"apps"));
        ra.extend(ld(5, b"deployments"));
        let spec = ld(1, &ra);
        let review = ld(2, &spec);
        let mut unknown = ld(1, &ld(2, b"SelfSubjectAccessReview"));
        unknown.extend(ld(2, &review));
        let mut body = b"k8s\0".to_vec();
        body.extend(unknown);
        let v = decode("SelfSubjectAccessReview", &body).unwrap();
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "patch");
        assert_eq!(v["spec"]["resourceAttributes"]["namespace"], "ml");
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "deployments");
        assert!(decode("SelfSubjectAccessReview", b"nope").is_err());
    }
}
