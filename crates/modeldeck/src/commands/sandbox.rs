//! `modeldeck sandbox serve`: the simulated world's clusters behind the
//! sandbox Kubernetes API server (crate `modeldeck-apiserver`), one server
//! per cluster on loopback and one kubeconfig with a context per cluster
//! (per cluster and user with `--users`, plus a kubeconfig per user with
//! `--kubeconfig-dir`), so kubectl, client libraries and Modeldeck's own
//! kube adapter can be pointed at it by one person or several. Every
//! served cluster starts with the shipped promotion ledger installed (the
//! CRDs, the approval admission policy and its binding, the example
//! ClusterRoles), so approvals on it are identity-bound; `--no-ledger`
//! leaves them out. The world's metrics are served at `--metrics-addr`
//! (`GET /metrics`, plain HTTP on loopback by default) for a real
//! Prometheus to scrape. `sandbox seed-registry` writes the world's
//! registry into a real MLflow.

use crate::cli::{GlobalArgs, SandboxCommand, SeedRegistryArgs, ServeArgs};
use crate::failure::{Exit, Failure};
use modeldeck_apiserver::serve::{MetricsEndpoint, demo_controller};
use modeldeck_apiserver::{SeedSource, ServeOptions, ServerConfig, Team, serve_team, team};
use modeldeck_app::cluster_admin::manifests;
use modeldeck_core::ports::Registry;
use modeldeck_sandbox::exposition::Exporter;
use modeldeck_sandbox::{ClockMode, DEMO_SEED, Sandbox};
use std::sync::Arc;

/// Runs a `sandbox` subcommand.
pub async fn run(cmd: &SandboxCommand, global: &GlobalArgs) -> Result<Exit, Failure> {
    match cmd {
        SandboxCommand::Serve(args) => serve_world(args, global).await,
        SandboxCommand::SeedRegistry(args) => seed_registry(args, global).await,
        SandboxCommand::Reset => crate::commands::reset::run(global),
    }
}

/// The world to serve: N generated Deployments (no simulated world), a
/// scenario file, or the demo.
fn source(args: &ServeArgs, global: &GlobalArgs) -> Result<(SeedSource, Option<Sandbox>), Failure> {
    if let Some(n) = args.scale {
        return Ok((SeedSource::Scale("sandbox".into(), n), None));
    }
    let world = world(args.scenario.as_deref(), global)?;
    Ok((SeedSource::Cluster(world.backends().cluster), Some(world)))
}

/// The world of a scenario file, or the demo, on the wall clock.
fn world(scenario: Option<&std::path::Path>, global: &GlobalArgs) -> Result<Sandbox, Failure> {
    Ok(match scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::Usage(format!("cannot read scenario {}: {e}", path.display()))
            })?;
            Sandbox::from_scenario_seeded(&text, ClockMode::Wall, global.seed)
                .map_err(|e| Failure::Usage(format!("scenario {}: {e}", path.display())))?
        }
        None => Sandbox::demo_with(global.seed.unwrap_or(DEMO_SEED), ClockMode::Wall)
            .map_err(|e| Failure::Other(anyhow::Error::new(e).context("the demo world")))?,
    })
}

/// The server's users and the kubeconfig user from `--user`, `--users`,
/// `--viewers` and `--requesters`: without `--users`, the built-in `admin`
/// and `viewer`; with it, exactly the listed people.
fn people(args: &ServeArgs, server: &mut ServerConfig) -> Result<(String, Team), Failure> {
    let team = Team {
        users: args.users.clone(),
        kubeconfig_dir: args.kubeconfig_dir.clone(),
    };
    if args.users.is_empty() {
        let user = args.user.clone().unwrap_or_else(|| "admin".into());
        if user != "admin" && user != "viewer" {
            return Err(Failure::Usage(format!(
                "--user {user:?}: without --users the sandbox knows `admin` and `viewer`; \
                 name more people with --users {user},..."
            )));
        }
        return Ok((user, team));
    }
    let narrowed = team::Narrowed {
        viewers: &args.viewers,
        requesters: &args.requesters,
    };
    server.users = team::users_with(&args.users, narrowed)
        .map_err(|e| Failure::Usage(format!("--users: {e}")))?;
    let user = match &args.user {
        Some(u) if !args.users.contains(u) => {
            return Err(Failure::Usage(format!(
                "--user {u:?} is not one of --users {}",
                args.users.join(",")
            )));
        }
        Some(u) => u.clone(),
        None => args.users.first().cloned().unwrap_or_default(),
    };
    Ok((user, team))
}

/// Every server's config (the template [`serve_team`] copies per
/// cluster), the kubeconfig user and the team.
fn server_config(args: &ServeArgs) -> Result<(ServerConfig, String, Team), Failure> {
    let mut server = ServerConfig {
        controller: demo_controller(),
        tls: !args.plain,
        ..ServerConfig::default()
    };
    if args.plain {
        server.anonymous = Some("admin".into());
    }
    server.bind.set_port(args.port);
    if !args.no_ledger {
        // Seed objects of every server: each cluster starts installed.
        let shipped = manifests::objects()
            .map_err(|e| Failure::Other(anyhow::Error::new(e).context("the shipped manifests")))?;
        server.objects.extend(shipped);
    }
    let (user, team) = people(args, &mut server)?;
    Ok((server, user, team))
}

async fn serve_world(args: &ServeArgs, global: &GlobalArgs) -> Result<Exit, Failure> {
    let (server, user, team) = server_config(args)?;
    let (source, world) = source(args, global)?;
    // Kept alive until serving ends.
    let _metrics = match (&world, args.no_metrics) {
        (Some(w), false) => {
            let exporter = w.exporter();
            if let Some(path) = &args.backfill {
                backfill(&exporter, path, args.backfill_hours)?;
            }
            let m = MetricsEndpoint::start(args.metrics_addr, Arc::new(exporter))
                .await
                .map_err(|e| {
                    Failure::Usage(format!(
                        "--metrics-addr {}: {e} (choose another address, or --no-metrics)",
                        args.metrics_addr
                    ))
                })?;
            println!("metrics (simulated): {}", m.url());
            Some(m)
        }
        _ => None,
    };
    let opts = ServeOptions {
        source,
        kubeconfig: args.kubeconfig.clone(),
        user,
        server,
    };
    tracing::info!(source = ?opts.source, plain = args.plain, user = %opts.user,
        users = ?team.users, ledger = !args.no_ledger, "sandbox serve");
    serve_team(opts, team)
        .await
        .map_err(|e| Failure::Other(anyhow::Error::new(e).context("sandbox serve")))?;
    Ok(Exit::Ok)
}

/// Writes the exporter's last `hours` to `path` (OpenMetrics), one sample
/// every 5 minutes for a day (at least every minute, at most 288 samples
/// for a day or less).
fn backfill(exporter: &Exporter, path: &std::path::Path, hours: u64) -> Result<(), Failure> {
    let span = std::time::Duration::from_secs(hours * 3600);
    let step = std::time::Duration::from_secs((hours * 3600 / 288).max(60));
    let t0 = std::time::Instant::now();
    let text = exporter
        .history(span, step)
        .map_err(|e| Failure::Usage(format!("--backfill-hours {hours}: {e}")))?;
    std::fs::write(path, &text)
        .map_err(|e| Failure::Usage(format!("--backfill {}: {e}", path.display())))?;
    println!(
        "backfill (simulated): {} ({} h every {} s, {} bytes, {:.1} s)",
        path.display(),
        hours,
        step.as_secs(),
        text.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `sandbox seed-registry`: the world's registry into a real MLflow.
async fn seed_registry(args: &SeedRegistryArgs, global: &GlobalArgs) -> Result<Exit, Failure> {
    let world = world(args.scenario.as_deref(), global)?;
    let env = std::env::vars().collect();
    let target = modeldeck_app::seed_registry::mlflow_at(&args.url, &env)
        .map_err(|e| Failure::Usage(format!("seed-registry: {e}")))?;
    let t0 = std::time::Instant::now();
    let r =
        modeldeck_app::seed_registry::seed_registry(world.backends().registry.as_ref(), &target)
            .await
            .map_err(|e| Failure::Other(anyhow::Error::new(e).context("sandbox seed-registry")))?;
    println!(
        "seeded {} (simulated world, seed {}): {} models ({} new), {} versions created, \
         {} already present, {} reference profiles, {} aliases set, in {:.1} s",
        target.describe(),
        world.seed(),
        r.models,
        r.models_created,
        r.versions_created,
        r.versions_present,
        r.profiles_logged,
        r.aliases_set,
        t0.elapsed().as_secs_f64()
    );
    for (model, ours, theirs) in &r.renumbered {
        println!(
            "note: {model} version {ours} is version {theirs} in MLflow (the model had other versions)"
        );
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use modeldeck_apiserver::{ApiServer, resources::ids};

    fn serve_args(flags: &[&str]) -> ServeArgs {
        let argv = ["modeldeck", "sandbox", "serve", "--users", "alice,bob"];
        let cli = Cli::try_parse_from(argv.iter().chain(flags)).unwrap();
        match cli.command {
            Some(Command::Sandbox(SandboxCommand::Serve(a))) => *a,
            other => panic!("not sandbox serve: {other:?}"),
        }
    }

    fn kinds(c: &ServerConfig) -> Vec<&str> {
        c.objects
            .iter()
            .filter_map(|o| o["kind"].as_str())
            .collect()
    }

    /// `--requesters` narrows the named users to requesters; a name that is
    /// not among `--users` is a usage error, as with `--viewers`.
    #[test]
    fn requesters_are_served_as_requesters() {
        let (cfg, _, _) = server_config(&serve_args(&["--requesters", "alice"])).unwrap();
        let groups: Vec<(&str, &str)> = cfg
            .users
            .iter()
            .map(|u| (u.name.as_str(), u.groups[0].as_str()))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("alice", "modeldeck:requesters"),
                ("bob", "modeldeck:promoters")
            ]
        );
        let e = server_config(&serve_args(&["--requesters", "carol"])).unwrap_err();
        assert!(
            matches!(&e, Failure::Usage(m) if m.contains("requester \"carol\" is not one of the users")),
            "{e:?}"
        );
    }

    /// Served clusters start with the shipped ledger (the server takes it
    /// as seed objects); `--no-ledger` serves none of it.
    #[tokio::test]
    async fn served_clusters_start_with_the_ledger_unless_left_out() {
        let (cfg, _, _) = server_config(&serve_args(&[])).unwrap();
        let policy = "modeldeck-approvals.modeldeck.io";
        let s = ApiServer::start(cfg).await.unwrap();
        for (res, name) in [
            (ids::CRDS, "modelpromotions.modeldeck.io"),
            (ids::CRDS, "modelapprovals.modeldeck.io"),
            (ids::VAPS, policy),
            (ids::VAP_BINDINGS, policy),
        ] {
            assert!(s.store().get(res, "", name).is_some(), "{name}");
        }
        let (bare, _, _) = server_config(&serve_args(&["--no-ledger"])).unwrap();
        assert!(
            !kinds(&bare)
                .iter()
                .any(|k| k.contains("Definition") || k.contains("Policy")),
            "{:?}",
            kinds(&bare)
        );
    }
}
