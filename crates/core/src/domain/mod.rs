//! Plain data shared by every layer: what a workload, a model version, a
//! health signal or a promotion *is*, independent of where it was read.

mod batch;
mod ledger;
mod metrics_target;
mod promotion;
mod registry;
mod retrain;
mod revision;
mod signals;
mod stream;
mod time;
mod workload;

pub use batch::*;
pub use ledger::*;
pub use metrics_target::*;
pub use promotion::*;
pub use registry::*;
pub use retrain::*;
pub use revision::*;
pub use signals::*;
pub use stream::*;
pub use time::*;
pub use workload::*;
