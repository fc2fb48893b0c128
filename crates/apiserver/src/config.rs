//! What a server is started with: users (bearer token -> name, groups,
//! RBAC-like rules), seed objects, history window and controller timing.

use crate::ids::new_token;
use crate::seed::{Seed, SeedPatch};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

/// One allow rule, RBAC style: every list matches with `"*"`; `namespaces`
/// empty means cluster-wide. `resources` may name subresources
/// (`pods/log`, `deployments/scale`, `*/status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Verbs (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `approve`, `*`).
    pub verbs: Vec<String>,
    /// API groups (`""` core, `apps`, `*`).
    pub groups: Vec<String>,
    /// Resources (plural, optionally `/subresource`).
    pub resources: Vec<String>,
    /// Namespaces the rule holds in; empty for all.
    pub namespaces: Vec<String>,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Rule {
    /// A rule from string slices.
    pub fn new(verbs: &[&str], groups: &[&str], resources: &[&str], namespaces: &[&str]) -> Rule {
        Rule {
            verbs: strings(verbs),
            groups: strings(groups),
            resources: strings(resources),
            namespaces: strings(namespaces),
        }
    }

    /// Everything, everywhere.
    pub fn all() -> Rule {
        Rule::new(&["*"], &["*"], &["*"], &[])
    }

    /// Read-only on everything (get, list, watch), logs included.
    pub fn read_only() -> Rule {
        Rule::new(&["get", "list", "watch"], &["*"], &["*"], &[])
    }
}

/// A user the server knows by bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User name, as SelfSubjectReview reports it.
    pub name: String,
    /// Bearer token that identifies the user.
    pub token: String,
    /// Groups.
    pub groups: Vec<String>,
    /// Allow rules.
    pub rules: Vec<Rule>,
}

impl User {
    /// A user with a random token and `system:authenticated` as group.
    pub fn new(name: &str, rules: Vec<Rule>) -> User {
        User {
            name: name.to_string(),
            token: new_token(),
            groups: vec!["system:authenticated".to_string()],
            rules,
        }
    }

    /// The same user with an extra group.
    pub fn with_group(mut self, group: &str) -> User {
        self.groups.insert(0, group.to_string());
        self
    }

    /// The same user with a chosen token.
    pub fn with_token(mut self, token: &str) -> User {
        self.token = token.to_string();
        self
    }
}

/// How the built-in controllers behave.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerConfig {
    /// Interval between controller passes.
    pub tick: Duration,
    /// How long a new replica takes to become ready.
    pub ready_after: Duration,
    /// Whether pods exist as objects (off for very large seeds).
    pub pods: bool,
    /// Whether pods log lines (served by `pods/log`), one every this often.
    pub log_interval: Duration,
    /// Lifetime of Events (the apiserver's `--event-ttl`).
    pub event_ttl: Duration,
    /// Most Events kept at once; the oldest go first.
    pub max_events: usize,
    /// The time the controllers go by (the wall clock unless a test sets
    /// a manual one).
    pub clock: crate::controller::Clock,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            tick: Duration::from_millis(200),
            ready_after: Duration::from_millis(1500),
            pods: true,
            log_interval: Duration::from_secs(2),
            event_ttl: Duration::from_secs(3600),
            max_events: 20_000,
            clock: crate::controller::Clock::system(),
        }
    }
}

/// Everything [`crate::ApiServer::start`] needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free one. Loopback by default.
    pub bind: SocketAddr,
    /// Cluster name used for the kubeconfig cluster and context.
    pub cluster_name: String,
    /// Known users; the first is the kubeconfig default.
    pub users: Vec<User>,
    /// Serve HTTPS with a freshly minted CA (written into kubeconfigs).
    /// kubectl sends bearer tokens only over TLS, so turn this on whenever
    /// kubectl must act as a particular user.
    pub tls: bool,
    /// The user a request without a bearer token acts as (`None`: 401).
    pub anonymous: Option<String>,
    /// Objects to load before serving (namespaces are created as needed).
    pub objects: Vec<Value>,
    /// Merge patches applied after the objects settled (history, states).
    pub patches: Vec<SeedPatch>,
    /// Changes kept for watches to resume from; older RVs get 410.
    pub history_limit: usize,
    /// Interval of BOOKMARK events on watches that ask for them.
    pub bookmark_interval: Duration,
    /// Controller behaviour.
    pub controller: ControllerConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            cluster_name: "modeldeck-sandbox".to_string(),
            users: vec![
                User::new("admin", vec![Rule::all()]).with_group("system:masters"),
                User::new("viewer", vec![Rule::read_only()]),
            ],
            tls: false,
            anonymous: None,
            objects: Vec::new(),
            patches: Vec::new(),
            history_limit: 10_000,
            bookmark_interval: Duration::from_secs(5),
            controller: ControllerConfig::default(),
        }
    }
}

impl ServerConfig {
    /// The default config for a cluster called `name`.
    pub fn named(name: &str) -> ServerConfig {
        ServerConfig {
            cluster_name: name.to_string(),
            ..ServerConfig::default()
        }
    }

    /// Adds seed objects.
    pub fn with_objects(mut self, objects: impl IntoIterator<Item = Value>) -> ServerConfig {
        self.objects.extend(objects);
        self
    }

    /// Adds a seed: its objects and follow-up patches.
    pub fn with_seed(mut self, seed: Seed) -> ServerConfig {
        self.objects.extend(seed.objects);
        self.patches.extend(seed.patches);
        self
    }

    /// Adds (or replaces, by name) a user.
    pub fn with_user(mut self, user: User) -> ServerConfig {
        self.users.retain(|u| u.name != user.name);
        self.users.push(user);
        self
    }
}
