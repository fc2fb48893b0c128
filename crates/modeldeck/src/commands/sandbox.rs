//! `modeldeck sandbox serve`: the simulated world's clusters behind the
//! sandbox Kubernetes API server (crate `modeldeck-apiserver`), one server
//! per cluster on loopback and one kubeconfig with a context per cluster,
//! so kubectl, client libraries and Modeldeck's own kube adapter can be
//! pointed at it.

use crate::cli::{GlobalArgs, SandboxCommand, ServeArgs};
use crate::failure::{Exit, Failure};
use modeldeck_apiserver::serve::demo_controller;
use modeldeck_apiserver::{SeedSource, ServeOptions, ServerConfig, serve};
use modeldeck_sandbox::{ClockMode, DEMO_SEED, Sandbox};

/// Runs a `sandbox` subcommand.
pub async fn run(cmd: &SandboxCommand, global: &GlobalArgs) -> Result<Exit, Failure> {
    match cmd {
        SandboxCommand::Serve(args) => serve_world(args, global).await,
    }
}

async fn serve_world(args: &ServeArgs, global: &GlobalArgs) -> Result<Exit, Failure> {
    let source = match args.scale {
        Some(n) => SeedSource::Scale("sandbox".into(), n),
        None => {
            let world = Sandbox::demo_with(global.seed.unwrap_or(DEMO_SEED), ClockMode::Wall)
                .map_err(|e| Failure::Other(anyhow::Error::new(e).context("the demo world")))?;
            SeedSource::Cluster(world.backends().cluster)
        }
    };
    let mut server = ServerConfig {
        controller: demo_controller(),
        tls: !args.plain,
        ..ServerConfig::default()
    };
    if args.plain {
        server.anonymous = Some("admin".into());
    }
    server.bind.set_port(args.port);
    let opts = ServeOptions {
        source,
        kubeconfig: args.kubeconfig.clone(),
        user: args.user.clone(),
        server,
    };
    tracing::info!(source = ?opts.source, plain = args.plain, user = %args.user, "sandbox serve");
    serve(opts)
        .await
        .map_err(|e| Failure::Other(anyhow::Error::new(e).context("sandbox serve")))?;
    Ok(Exit::Ok)
}
