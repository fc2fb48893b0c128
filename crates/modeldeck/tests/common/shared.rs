// Helpers shared by the binary's crate tests (`crates/modeldeck/tests`) and
// the end-to-end suites (`tests/`), included by both `common/mod.rs` files
// after they define `BIN` and the imports below.

/// A directory under the system temp dir, unique to this process and call,
/// removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "modeldeck-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `modeldeck <args>` with logs and data (the journal, the saved
/// sandbox world) in `logs` and no config file: runs in the same directory
/// share a sandbox world, others never see it.
pub fn run_in(logs: &TempDir, args: &[&str]) -> Run {
    Command::new(BIN)
        .args(args)
        .env("MODELDECK_LOG_DIR", &logs.0)
        .env("MODELDECK_DATA_DIR", logs.0.join("data"))
        .env("MODELDECK_CONFIG", logs.0.join("no-such-config.toml"))
        .env_remove("MODELDECK_JOURNAL")
        .env_remove("MODELDECK_SANDBOX_USER")
        .env_remove("MODELDECK_PROFILE")
        .env_remove("MODELDECK_SANDBOX_WORKLOADS")
        .env_remove("MODELDECK_SANDBOX_OUTAGE")
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
        .into()
}

/// Runs `modeldeck <args>` with a throwaway log directory.
pub fn run(args: &[&str]) -> Run {
    let logs = TempDir::new("cli");
    run_in(&logs, args)
}

/// Runs `modeldeck --sandbox <args> --output json`, asserts success and parses stdout.
pub fn json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--sandbox"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "json"]);
    let r = run(&all);
    assert_eq!(r.code, 0, "modeldeck {all:?} failed: {}", r.stderr);
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout of {all:?} is not JSON ({e}): {}", r.stdout))
}

/// Runs `modeldeck --sandbox <args> --output yaml` and parses it into a JSON value.
pub fn yaml(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--sandbox"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "yaml"]);
    let r = run(&all);
    assert_eq!(r.code, 0, "modeldeck {all:?} failed: {}", r.stderr);
    serde_norway::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout of {all:?} is not YAML ({e}): {}", r.stdout))
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// `names` sorted, as owned strings.
pub fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}
