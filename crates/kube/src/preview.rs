//! What serving a version would change in a workload, before anything is
//! written: [`crate::write::plan_served_version`] builds the very patch
//! [`crate::write::set_served_version`] sends, and it is applied in memory
//! to the object as read (a JSON merge patch, as the API server applies it)
//! and compared field by field.

use crate::config::BindingConfig;
use crate::write::plan_served_version;
use kube::Client;
use modeldeck_core::domain::WorkloadRef;
use modeldeck_core::error::PortResult;
use modeldeck_core::serving_diff::{ServingChanges, merge_patch};

/// The changes serving `version` would make to `t`; writes nothing.
pub async fn preview_served_version(
    client: &Client,
    b: &BindingConfig,
    t: &WorkloadRef,
    version: &str,
) -> PortResult<ServingChanges> {
    let plan = plan_served_version(client, b, t, version, None).await?;
    let mut after = plan.current.clone();
    merge_patch(&mut after, &plan.patch);
    Ok(ServingChanges::of(
        t.clone(),
        version,
        &plan.current,
        &after,
    ))
}
