//! Tracking calls of [`MlflowClient`]: a run with its latest metrics,
//! params and tags, and a metric's full history across pages.

use crate::client::{MlflowClient, all_pages};
use crate::types::{Metric, MetricsPage, Page, Run, RunEnvelope};
use modeldeck_core::error::PortResult;

impl MlflowClient {
    /// `runs/get`: info plus latest metrics, params and tags.
    pub async fn get_run(&self, run_id: &str) -> PortResult<Run> {
        let mut e: RunEnvelope = self.t.get_json("runs/get", &[("run_id", run_id)]).await?;
        if e.run.info.run_id.is_empty() {
            e.run.info.run_id = e.run.info.run_uuid.clone().unwrap_or_default();
        }
        Ok(e.run)
    }

    /// One page of `metrics/get-history` (`max_results` clamped to 1..=25000).
    pub async fn metric_history_page(
        &self,
        run_id: &str,
        key: &str,
        page_token: Option<&str>,
        max_results: u32,
    ) -> PortResult<Page<Metric>> {
        let max = max_results
            .clamp(1, crate::config::MAX_HISTORY_PAGE)
            .to_string();
        let mut q = vec![
            ("run_id", run_id),
            ("metric_key", key),
            ("max_results", max.as_str()),
        ];
        if let Some(p) = page_token {
            q.push(("page_token", p));
        }
        let page: MetricsPage = self.t.get_json("metrics/get-history", &q).await?;
        Ok(Page {
            items: page.metrics,
            next_page_token: page.next_page_token,
        })
    }

    /// The whole history of metric `key` in `run_id`, all pages (empty if
    /// the run never logged it).
    pub async fn metric_history(&self, run_id: &str, key: &str) -> PortResult<Vec<Metric>> {
        let size = self.t.cfg.history_page_size;
        all_pages("metrics/get-history", |tok: Option<String>| async move {
            self.metric_history_page(run_id, key, tok.as_deref(), size)
                .await
        })
        .await
    }
}
