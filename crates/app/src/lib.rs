//! modeldeck-app: the composition root. A front end (the TUI, the CLI, the
//! desktop app) says what it wants in [`SessionOptions`] (a profile or the
//! simulated world, live or one-shot) and gets a [`Session`]: the console,
//! the promotion service, the user's identity and the paths. It never
//! builds an adapter, reads the config file itself or decides a policy.
//!
//! ```no_run
//! # async fn f() -> Result<(), modeldeck_app::SetupError> {
//! use modeldeck_app::{Session, SessionOptions};
//! let session = Session::open(SessionOptions::demo()).await?;
//! let inbox = session.promotions()?.inbox().await;
//! # let _ = inbox; Ok(()) }
//! ```

mod backends;
pub mod cluster_admin;
mod error;
pub mod link;
pub mod paths;
mod promotions;
mod sandbox;
pub mod seed_registry;
mod session;
mod unconfigured;

pub use backends::load_profile;
pub use error::{SetupError, TRY_SANDBOX};
pub use link::{PromotionLink, parse_link, promotion_link};
pub use paths::Paths;
pub use promotions::{SANDBOX_POLICY, policies_of, sandbox_policies};
pub use sandbox::{DEFAULT_USER, SandboxOptions, gen_spec, reset as reset_sandbox};
pub use session::{Session, SessionOptions, Source};
pub use unconfigured::NotConfigured;

/// The core types a front end renders (re-exported so a front end needs
/// only this crate).
pub use modeldeck_core as core;
/// The promotion service's types (requests, reviews, reports).
pub use modeldeck_promotion as promotion;
