//! Turning URLs into locations safe to print: no user info, and query
//! values whose key smells of a secret replaced by `***`.

use url::Url;

const SECRET_KEYS: [&str; 9] = [
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "secret",
    "signature",
    "sig",
];

/// `url` without user name, password or secret-looking query values.
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    // Fails only for URLs that cannot carry credentials anyway.
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let lower = k.to_ascii_lowercase();
                let secret = SECRET_KEYS.iter().any(|s| lower == *s)
                    || lower.contains("token")
                    || lower.contains("password")
                    || lower.starts_with("x-amz-");
                let v = if secret {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.set_fragment(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_userinfo_and_secret_query_values() {
        let u = Url::parse(
            "https://bob:hunter2@mlflow.example/api/2.0/mlflow/x?name=m&token=abc&page_token=eyJ",
        )
        .unwrap();
        let r = redact_url(&u);
        assert!(!r.contains("bob"), "{r}");
        assert!(!r.contains("hunter2"), "{r}");
        assert!(!r.contains("abc"), "{r}");
        assert!(r.contains("name=m"), "{r}");
        assert!(
            r.starts_with("https://mlflow.example/api/2.0/mlflow/x?"),
            "{r}"
        );
    }

    #[test]
    fn leaves_plain_urls_alone() {
        let u = Url::parse("http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc").unwrap();
        assert_eq!(
            redact_url(&u),
            "http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc"
        );
    }
}
