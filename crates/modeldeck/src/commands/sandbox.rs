//! `modeldeck sandbox serve`: the simulated world's clusters behind the
//! sandbox Kubernetes API server (crate `modeldeck-apiserver`), one server
//! per cluster on loopback and one kubeconfig with a context per cluster
//! (per cluster and user with `--users`, plus a kubeconfig per user with
//! `--kubeconfig-dir`), so kubectl, client libraries and Modeldeck's own
//! kube adapter can be pointed at it by one person or several.

use crate::cli::{GlobalArgs, SandboxCommand, ServeArgs};
use crate::failure::{Exit, Failure};
use modeldeck_apiserver::serve::demo_controller;
use modeldeck_apiserver::{SeedSource, ServeOptions, ServerConfig, Team, serve_team, team};
use modeldeck_sandbox::{ClockMode, DEMO_SEED, Sandbox};

/// Runs a `sandbox` subcommand.
pub async fn run(cmd: &SandboxCommand, global: &GlobalArgs) -> Result<Exit, Failure> {
    match cmd {
        SandboxCommand::Serve(args) => serve_world(args, global).await,
        SandboxCommand::Reset => crate::commands::reset::run(global),
    }
}

/// The world to serve: N generated Deployments, a scenario file, or the demo.
fn source(args: &ServeArgs, global: &GlobalArgs) -> Result<SeedSource, Failure> {
    if let Some(n) = args.scale {
        return Ok(SeedSource::Scale("sandbox".into(), n));
    }
    let world = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::Usage(format!("cannot read scenario {}: {e}", path.display()))
            })?;
            Sandbox::from_scenario_seeded(&text, ClockMode::Wall, global.seed)
                .map_err(|e| Failure::Usage(format!("scenario {}: {e}", path.display())))?
        }
        None => Sandbox::demo_with(global.seed.unwrap_or(DEMO_SEED), ClockMode::Wall)
            .map_err(|e| Failure::Other(anyhow::Error::new(e).context("the demo world")))?,
    };
    Ok(SeedSource::Cluster(world.backends().cluster))
}

/// The server's users and the kubeconfig user from `--user`, `--users`
/// and `--viewers`: without `--users`, the built-in `admin` and `viewer`;
/// with it, exactly the listed people.
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
    server.users = team::users(&args.users, &args.viewers)
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

async fn serve_world(args: &ServeArgs, global: &GlobalArgs) -> Result<Exit, Failure> {
    let mut server = ServerConfig {
        controller: demo_controller(),
        tls: !args.plain,
        ..ServerConfig::default()
    };
    if args.plain {
        server.anonymous = Some("admin".into());
    }
    server.bind.set_port(args.port);
    let (user, team) = people(args, &mut server)?;
    let opts = ServeOptions {
        source: source(args, global)?,
        kubeconfig: args.kubeconfig.clone(),
        user,
        server,
    };
    tracing::info!(source = ?opts.source, plain = args.plain, user = %opts.user,
        users = ?team.users, "sandbox serve");
    serve_team(opts, team)
        .await
        .map_err(|e| Failure::Other(anyhow::Error::new(e).context("sandbox serve")))?;
    Ok(Exit::Ok)
}
