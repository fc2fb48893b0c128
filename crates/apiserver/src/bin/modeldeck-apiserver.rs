//! Standalone sandbox API server: `modeldeck-apiserver [--kubeconfig PATH]
//! [--user NAME] [--users A,B,..] [--viewers A,..] [--kubeconfig-dir DIR]
//! [--port N] [--scale N] [--kinds K,..] [--contexts C] [--name CLUSTER]
//! [--plain] [--control-signals]`.
//! `--plain` serves HTTP, where kubectl sends no token: requests act as admin.
//! `--users`: the server knows exactly these people (roles as in
//! `modeldeck sandbox serve`), one `<user>@<cluster>` context each.
//! `--control-signals` (unix): SIGUSR1 drops the watch history (watchers
//! get 410 Gone and list again), SIGUSR2 prints the request counters
//! ([`modeldeck_apiserver::control`]); benchmarks use it to force a relist.
//! `--scale N`: N settled workloads per cluster instead of the demo, of the
//! `--kinds` given (`deploy,isvc,cronjob,stream`, round robin; default
//! `deploy`). `--contexts C`: C clusters (`<name>-01` ..), one server each
//! (consecutive ports from `--port` when given), one kubeconfig with a
//! context per cluster.
//! Serves the built-in demo cluster (or the scale world) until ctrl-c.

use modeldeck_apiserver::fixtures::demo_seed;
use modeldeck_apiserver::seed::scale::{cluster_names, mixed_seed, parse_kinds};
use modeldeck_apiserver::serve::demo_controller;
use modeldeck_apiserver::{SeedSource, ServeOptions, ServerConfig, Team, serve_team_with, team};
use modeldeck_core::domain::WorkloadKind;
use std::path::PathBuf;

fn usage(msg: &str) -> ! {
    eprintln!("modeldeck-apiserver: {msg}");
    eprintln!(
        "usage: modeldeck-apiserver [--kubeconfig PATH] [--user NAME] [--users A,B,..] [--viewers A,..] [--kubeconfig-dir DIR] [--port N] [--scale N] [--kinds deploy,isvc,cronjob,stream] [--contexts C] [--name CLUSTER] [--plain] [--control-signals]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut opts = ServeOptions {
        server: ServerConfig {
            controller: demo_controller(),
            tls: true,
            ..ServerConfig::default()
        },
        ..ServeOptions::default()
    };
    let mut name = "sandbox".to_string();
    let mut scale: Option<usize> = None;
    let mut team = Team::default();
    let mut viewers: Vec<String> = Vec::new();
    let mut control_signals = false;
    let mut kinds: Option<Vec<WorkloadKind>> = None;
    let mut contexts: usize = 1;
    let list = |v: String| -> Vec<String> { v.split(',').map(|s| s.trim().to_string()).collect() };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--kubeconfig" => opts.kubeconfig = Some(PathBuf::from(val())),
            "--user" => opts.user = val(),
            "--users" => team.users = list(val()),
            "--viewers" => viewers = list(val()),
            "--kubeconfig-dir" => team.kubeconfig_dir = Some(PathBuf::from(val())),
            "--name" => name = val(),
            "--port" => {
                let v = val();
                let p = v
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("--port: `{v}` is not a port number")));
                opts.server.bind.set_port(p);
            }
            "--scale" => {
                let v = val();
                scale = Some(
                    v.parse()
                        .unwrap_or_else(|_| usage(&format!("--scale: `{v}` is not a count"))),
                );
            }
            "--kinds" => {
                let v = val();
                kinds = Some(parse_kinds(&v).unwrap_or_else(|e| usage(&format!("--kinds: {e}"))));
            }
            "--contexts" => {
                let v = val();
                contexts = v
                    .parse()
                    .ok()
                    .filter(|c| (1..=100).contains(c))
                    .unwrap_or_else(|| {
                        usage(&format!("--contexts: `{v}` is not a count from 1 to 100"))
                    });
            }
            "--plain" => {
                opts.server.tls = false;
                opts.server.anonymous = Some("admin".into());
            }
            "--control-signals" => control_signals = true,
            "-h" | "--help" => usage("serves a sandbox Kubernetes API"),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    if !team.users.is_empty() {
        if opts.server.anonymous.is_some() {
            usage("--users needs TLS (kubectl sends no token over --plain HTTP)");
        }
        opts.server.users =
            team::users(&team.users, &viewers).unwrap_or_else(|e| usage(&format!("--users: {e}")));
        if let Some(first) = team
            .users
            .first()
            .filter(|_| !std::env::args().any(|a| a == "--user"))
        {
            opts.user = first.clone();
        }
    } else if !viewers.is_empty() {
        usage("--viewers needs --users");
    }
    if kinds.is_some() && scale.is_none() {
        usage("--kinds needs --scale");
    }
    opts.source = match (scale, kinds, contexts) {
        (Some(n), None, 1) => {
            opts.server.controller.pods = false;
            SeedSource::Scale(name, n)
        }
        (Some(n), kinds, _) => {
            opts.server.controller.pods = false;
            let kinds = kinds.unwrap_or_else(|| vec![WorkloadKind::Deployment]);
            let names = cluster_names(&name, contexts);
            SeedSource::Seeds(
                names
                    .into_iter()
                    .map(|c| {
                        let seed = mixed_seed(&c, n, &kinds);
                        (c, seed)
                    })
                    .collect(),
            )
        }
        (None, _, 1) => SeedSource::Demo(name),
        (None, _, _) => SeedSource::Seeds(
            cluster_names(&name, contexts)
                .into_iter()
                .map(|c| {
                    let seed = demo_seed(&c);
                    (c, seed)
                })
                .collect(),
        ),
    };
    if let Err(e) = serve_team_with(opts, team, control_signals).await {
        eprintln!("modeldeck-apiserver: {e}");
        std::process::exit(1);
    }
}
