//! Helpers shared by the sandbox's integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns
#![allow(dead_code)]

use modeldeck_core::console::{Console, ConsoleOptions};
use modeldeck_core::domain::*;
use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};

/// The demo scenario on a virtual clock at a fixed start.
pub fn demo(seed: u64) -> Sandbox {
    Sandbox::demo_with(
        seed,
        ClockMode::Virtual {
            start: GENERATED_START,
        },
    )
    .unwrap()
}

/// A console over `sb` on its clock.
pub fn console(sb: &Sandbox) -> Console {
    Console::new(
        sb.backends(),
        ConsoleOptions {
            profile: "sandbox".into(),
            sandbox: true,
            clock: sb.clock(),
            ..ConsoleOptions::default()
        },
    )
}

/// The ref of a workload in the demo.
pub fn wref(cluster: &str, ns: &str, kind: WorkloadKind, name: &str) -> WorkloadRef {
    WorkloadRef {
        cluster: cluster.into(),
        namespace: ns.into(),
        kind,
        name: name.into(),
    }
}

/// `r` as the metrics port is asked about it. The sandbox knows what each
/// of its workloads serves, so the model is left out.
pub fn target(r: &WorkloadRef) -> MetricsTarget {
    MetricsTarget::bare(r.clone())
}

/// The EU fraud-detector Deployment (6 replicas, serves champion v7).
pub fn fraud_eu() -> WorkloadRef {
    wref(
        "prod-eu",
        "risk",
        WorkloadKind::Deployment,
        "fraud-detector",
    )
}
