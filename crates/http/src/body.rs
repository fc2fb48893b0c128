//! Reading a response body under a size cap. A body announced (by
//! `Content-Length`) or found (while streaming) to be over the cap is not
//! read further: a hostile or broken server cannot make a client buffer
//! 100 MB.

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Over the cap; the rest of the body was not read.
    #[error("answer larger than the {limit}-byte cap{}", declared_suffix(*.declared))]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
        /// `Content-Length`, when the server announced it.
        declared: Option<u64>,
    },
    /// The transport failed while reading (cut off, reset, timed out).
    #[error("reading the answer failed")]
    Transport(#[source] reqwest::Error),
}

fn declared_suffix(declared: Option<u64>) -> String {
    match declared {
        Some(n) => format!(" (Content-Length {n})"),
        None => String::new(),
    }
}

/// The whole body of `resp`, or [`BodyError::TooLarge`] as soon as it is
/// known to be over `cap` bytes (from `Content-Length`, else while reading).
pub async fn read_capped(mut resp: reqwest::Response, cap: u64) -> Result<Vec<u8>, BodyError> {
    if let Some(n) = resp.content_length().filter(|n| *n > cap) {
        return Err(BodyError::TooLarge {
            limit: cap,
            declared: Some(n),
        });
    }
    let mut out: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if out.len() as u64 + chunk.len() as u64 > cap {
            return Err(BodyError::TooLarge {
                limit: cap,
                declared: None,
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// At most the first `cap` bytes of the body of `resp`, and whether it was
/// cut: for error bodies, of which the start is enough for a message.
pub async fn read_truncated(
    mut resp: reqwest::Response,
    cap: u64,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut out: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap.saturating_sub(out.len() as u64) as usize;
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, false))
}
