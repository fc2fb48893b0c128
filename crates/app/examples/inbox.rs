//! The promotion inbox of a profile or of the simulated world, using only
//! `modeldeck-app`: what a second front end needs, and nothing else.
//!
//! ```text
//! cargo run -p modeldeck-app --example inbox               # the simulated world
//! cargo run -p modeldeck-app --example inbox -- prod       # profile "prod"
//! MODELDECK_SANDBOX_USER=bob cargo run -p modeldeck-app --example inbox
//! ```

use modeldeck_app::{SandboxOptions, Session, SessionOptions, Source};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let source = match std::env::args().nth(1) {
        Some(profile) => Source::Profile(Some(profile)),
        None => Source::Sandbox(SandboxOptions {
            user: std::env::var("MODELDECK_SANDBOX_USER").ok(),
            ..SandboxOptions::default()
        }),
    };
    let session = Session::open(SessionOptions::new(source, false)).await?;
    let inbox = session.promotions()?.inbox().await?;
    println!(
        "{} promotion(s) waiting for a decision ({})",
        inbox.len(),
        session.profile_name()
    );
    for p in &inbox {
        let pr = &p.promotion;
        let approvals = pr.approvals_given();
        println!(
            "{}  {} v{} -> {}  requested by {}  approvals {}",
            modeldeck_app::core::text::clean(&pr.id),
            modeldeck_app::core::text::clean(&pr.model),
            modeldeck_app::core::text::clean(&pr.version),
            modeldeck_app::core::text::clean(&pr.alias),
            modeldeck_app::core::text::clean(&pr.requested_by),
            approvals
        );
    }
    session.close()?;
    Ok(())
}
