//! Helpers of the trust audit end-to-end test: a consistent rewrite of a
//! journal and of a shared history (every later hash recomputed), the
//! shared record read and written with kubectl, MLflow's version tags read
//! and written over REST, `audit verify -o json` taken apart, and a
//! counting TCP proxy in front of MLflow (what crossed the wire, not what
//! Modeldeck says it did).

#![allow(dead_code)]

use crate::people::{Kubectl, Person};
use crate::real::{World, mlflow_post};
use modeldeck_core::domain::LedgerEntry;
use modeldeck_promotion::journal::head::{Head, head_path, write_head};
use modeldeck_promotion::journal::line::{GENESIS, encode_line};
pub use modeldeck_promotion::journal::shared_check::rechain;
use modeldeck_promotion::journal::{JournalLine, read_path, verify_path};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A real MLflow of this test's own (`scripts/services/mlflow.sh`), so
/// the time of each command does not grow with what other suites left in
/// the shared one (Modeldeck finds a promotion, and `audit verify` the
/// mirror, by reading every registered model). Stopped on drop.
pub struct PrivateMlflow {
    pub url: String,
    name: String,
}

fn mlflow_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/services/mlflow.sh")
}

impl PrivateMlflow {
    /// Starts it (about 10 s) off the async runtime's threads.
    pub async fn start(tag: &str) -> PrivateMlflow {
        let name = format!("{tag}-{}", std::process::id());
        let n = name.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(mlflow_script())
                .args(["start", &n])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let url = stdout
            .lines()
            .find_map(|l| l.strip_prefix("export MODELDECK_TEST_MLFLOW_URI="))
            .unwrap_or_else(|| {
                panic!(
                    "mlflow.sh start {name}: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .to_string();
        PrivateMlflow { url, name }
    }

    /// Registers `model` as the world has it in the shared MLflow: versions
    /// 1..=3 from runs with metrics, `champion` on 2, `challenger` on 3.
    pub fn seed(&self, model: &str) {
        let base = self.url.as_str();
        mlflow_post(base, "registered-models/create", json!({"name": model}));
        for v in 1..=3u32 {
            let run = mlflow_post(base, "runs/create", json!({"experiment_id": "0"}));
            let run = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
            let auc = 0.80 + f64::from(v) * 0.03;
            let metrics = json!([{"key": "auc", "value": auc, "timestamp": 1, "step": 0}]);
            mlflow_post(
                base,
                "runs/log-batch",
                json!({"run_id": run, "metrics": metrics}),
            );
            mlflow_post(
                base,
                "model-versions/create",
                json!({"name": model, "source": format!("s3://models/fraud/{v}"), "run_id": run}),
            );
        }
        for (alias, v) in [("champion", "2"), ("challenger", "3")] {
            mlflow_post(
                base,
                "registered-models/alias",
                json!({"name": model, "alias": alias, "version": v}),
            );
        }
    }
}

impl Drop for PrivateMlflow {
    fn drop(&mut self) {
        let _ = Command::new(mlflow_script())
            .args(["stop", &self.name])
            .output();
    }
}

/// Rewrites the journal at `path` consistently: line `seq`'s actor becomes
/// `mallory`, every hash from there on is recomputed and a matching head
/// is written, so the file verifies by itself (asserted).
pub fn rewrite_journal(path: &Path, seq: u64) {
    let lines = read_path(path).unwrap();
    assert!(lines.iter().any(|l| l.seq == seq), "no line {seq}");
    let mut prev = GENESIS.to_string();
    let mut out = String::new();
    for l in &lines {
        let mut rec = l.record.clone();
        if l.seq == seq {
            assert_ne!(rec.entry.actor, "mallory");
            rec.entry.actor = "mallory".into();
        }
        let (text, hash) = encode_line(l.seq, &prev, &rec).unwrap();
        out.push_str(&text);
        out.push('\n');
        prev = hash;
    }
    std::fs::write(path, out).unwrap();
    write_head(path, &Head::new(lines.len() as u64, prev, None), false).unwrap();
    let v = verify_path(path, None).expect("the rewritten journal verifies by itself");
    assert_eq!(v.count, lines.len() as u64);
}

/// The journal and its head sidecar, saved to put back later.
pub struct Saved(Vec<(PathBuf, Vec<u8>)>);

impl Saved {
    pub fn journal(path: &Path) -> Saved {
        let files = [path.to_path_buf(), head_path(path)];
        Saved(
            files
                .into_iter()
                .map(|p| {
                    let bytes = std::fs::read(&p).unwrap();
                    (p, bytes)
                })
                .collect(),
        )
    }

    pub fn restore(&self) {
        for (p, bytes) in &self.0 {
            std::fs::write(p, bytes).unwrap();
        }
    }
}

/// The witness a shared history entry of line `seq` of `journal` carries:
/// `<journal id>:<seq>:<hash>` (the id: 16 hex of line 1's hash).
pub fn witness_of(journal: &[JournalLine], seq: u64) -> String {
    let line = journal
        .iter()
        .find(|l| l.seq == seq)
        .unwrap_or_else(|| panic!("no line {seq}"));
    format!("{}:{seq}:{}", &journal[0].hash[..16], line.hash)
}

/// The `ModelPromotion` `id` in `prod`, read with kubectl as `context`.
pub fn promotion_object(k: &Kubectl, context: &str, id: &str) -> Value {
    let out = k.run(
        context,
        &[
            "get",
            "modelpromotions.modeldeck.io",
            id,
            "-n",
            "prod",
            "-o",
            "json",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Its `status.history`.
pub fn history_of(obj: &Value) -> Vec<LedgerEntry> {
    serde_json::from_value(obj["status"]["history"].clone())
        .unwrap_or_else(|e| panic!("status.history does not parse ({e}): {obj}"))
}

/// Replaces the `status.history` of `id` with `history` by a PUT on the
/// status subresource (`kubectl replace --subresource=status`), as
/// `context`, on the object as it is now (its resourceVersion).
pub fn put_history(k: &Kubectl, context: &str, id: &str, history: &[LedgerEntry]) {
    let mut obj = promotion_object(k, context, id);
    obj["status"]["history"] = serde_json::to_value(history).unwrap();
    let file = k.cache.with_file_name(format!("status-{id}.json"));
    std::fs::write(&file, obj.to_string()).unwrap();
    let f = file.display().to_string();
    let out = k.run(
        context,
        &["replace", "--subresource=status", "-f", &f, "-o", "json"],
    );
    assert!(
        out.status.success(),
        "kubectl replace --subresource=status: {out:?}"
    );
    let back: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        history_of(&back),
        history,
        "the server kept the history as sent"
    );
}

/// Every tag of model version `model`/`version`, read from MLflow.
pub fn version_tags(mlflow: &str, model: &str, version: &str) -> Vec<(String, String)> {
    let out = Command::new("curl")
        .args(["-sS", "-G"])
        .arg(format!(
            "{}/api/2.0/mlflow/model-versions/get",
            mlflow.trim_end_matches('/')
        ))
        .args(["--data-urlencode", &format!("name={model}")])
        .args(["--data-urlencode", &format!("version={version}")])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["model_version"]["tags"]
        .as_array()
        .unwrap_or_else(|| panic!("no tags: {v}"))
        .iter()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_string();
            (s("key"), s("value"))
        })
        .collect()
}

/// Sets one version tag through MLflow's REST API.
pub fn set_tag(mlflow: &str, model: &str, version: &str, key: &str, value: &str) {
    mlflow_post(
        mlflow,
        "model-versions/set-tag",
        json!({"name": model, "version": version, "key": key, "value": value}),
    );
}

/// `audit verify -o json` as `p`: exit code and document.
pub async fn verify(w: &World, p: &Person) -> (i32, Value) {
    p.json(w, &["audit", "verify"]).await
}

/// The copy named `name` in a verify document's `copies`.
pub fn copy<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["copies"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no copy {name}: {v}"))
}

/// Asserts `v` (exit `code`) is a clean verify with all three copies checked.
pub fn assert_all_checked_ok(code: i32, v: &Value, when: &str) {
    assert_eq!(code, 0, "{when}: {v}");
    assert_eq!(v["ok"], true, "{when}: {v}");
    assert_eq!(v["first_bad"], Value::Null, "{when}: {v}");
    for name in ["journal", "registry", "shared"] {
        let c = copy(v, name);
        assert_eq!(
            (&c["checked"], &c["ok"]),
            (&json!(true), &json!(true)),
            "{when}: copy {name}: {v}"
        );
    }
}

/// A loopback TCP proxy in front of MLflow that counts the alias writes
/// crossing it (request lines `POST`/`DELETE
/// /api/2.0/mlflow/registered-models/alias`, keep-alive connections
/// included).
pub struct AliasCounter {
    pub url: String,
    posts: Arc<AtomicU64>,
    deletes: Arc<AtomicU64>,
    accept: JoinHandle<()>,
}

const ALIAS_PATH: &[u8] = b" /api/2.0/mlflow/registered-models/alias";

impl AliasCounter {
    pub async fn start(mlflow: &str) -> AliasCounter {
        let target: SocketAddr = mlflow
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| panic!("{mlflow} is not http://<ip>:<port> ({e})"));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let posts = Arc::new(AtomicU64::new(0));
        let deletes = Arc::new(AtomicU64::new(0));
        let (p, d) = (posts.clone(), deletes.clone());
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let (p, d) = (p.clone(), d.clone());
                tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(target).await {
                        forward(inbound, outbound, p, d).await;
                    }
                });
            }
        });
        AliasCounter {
            url,
            posts,
            deletes,
            accept,
        }
    }

    /// Alias writes seen so far: (POST, DELETE).
    pub fn writes(&self) -> (u64, u64) {
        (
            self.posts.load(Ordering::SeqCst),
            self.deletes.load(Ordering::SeqCst),
        )
    }
}

impl Drop for AliasCounter {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn forward(
    inbound: TcpStream,
    outbound: TcpStream,
    posts: Arc<AtomicU64>,
    deletes: Arc<AtomicU64>,
) {
    let (mut ci, mut co) = inbound.into_split();
    let (mut si, mut so) = outbound.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut si, &mut co).await;
        let _ = co.shutdown().await;
    });
    // Client to server: scanned for request lines; `carry` keeps the tail
    // of the last read so a line split across reads is still seen.
    let longest = b"DELETE".len() + ALIAS_PATH.len() + 1;
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match ci.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut window = std::mem::take(&mut carry);
        let skip = window.len();
        window.extend_from_slice(&buf[..n]);
        for (verb, counter) in [(&b"POST"[..], &posts), (&b"DELETE"[..], &deletes)] {
            let mut needle = verb.to_vec();
            needle.extend_from_slice(ALIAS_PATH);
            let hits = window
                .windows(needle.len() + 1)
                .enumerate()
                .filter(|(i, w)| {
                    // Counted once: in the read where it ends. (A request
                    // may follow a body directly: no newline before it.)
                    i + w.len() > skip
                        && w.starts_with(&needle)
                        && matches!(w[needle.len()], b' ' | b'?')
                })
                .count();
            counter.fetch_add(hits as u64, Ordering::SeqCst);
        }
        let keep = window.len().min(longest);
        carry = window[window.len() - keep..].to_vec();
        if so.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = so.shutdown().await;
    let _ = back.await;
}
