//! Batch runs' rows counter in the exposition:
//! `modeldeck_batch_rows_total{cluster,model,version}` of every CronJob
//! whose scenario scores rows (`crate::batch::rows`), the value its run's
//! pod exports at `t`.

use super::{esc, header, sample};
use crate::world::World;
use modeldeck_core::domain::Timestamp;

pub(super) fn write(w: &World, t: Timestamp, out: &mut String) {
    let mut lines = Vec::new();
    for s in &w.workloads {
        let Some((version, v)) = crate::batch::rows::counter_at(s, t) else {
            continue;
        };
        let model = w
            .models
            .get(s.model as usize)
            .map_or("", |m| m.name.as_str());
        let cluster = w
            .clusters
            .get(s.cluster as usize)
            .map_or("", String::as_str);
        let labels = format!(
            "cluster=\"{}\",model=\"{}\",version=\"{}\"",
            esc(cluster),
            esc(model),
            esc(&version)
        );
        lines.push((labels, v));
    }
    if lines.is_empty() {
        return;
    }
    header(
        out,
        "modeldeck_batch_rows_total",
        "counter",
        "Rows scored by the batch run in flight or last finished (simulated).",
    );
    for (labels, v) in lines {
        sample(out, "modeldeck_batch_rows_total", &labels, v);
    }
}
