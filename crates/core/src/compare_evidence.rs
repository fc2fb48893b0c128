//! What a reviewer reads next to the metrics of a [`Comparison`]: the
//! schema diff, the data lineage and the training curves, each read from
//! the registry on its own so one missing part never hides the others.
//! Both front ends call [`Console::compare_evidence`] and
//! [`Console::compare_curve`].

use crate::compare::Comparison;
use crate::compare_curves::{CurvePair, common_metrics};
use crate::compare_lineage::{DatasetInput, Lineage, compare_lineage};
use crate::compare_schema::{SchemaDiff, diff_schemas};
use crate::console::Console;
use crate::domain::RunData;
use crate::error::{Backend, BackendError, ErrorCode, PortResult};
use std::future::Future;

/// The evidence beside a comparison. Each part is read separately: an
/// error names its cause and leaves the others shown.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareEvidence {
    /// The signatures of both versions compared.
    pub schema: PortResult<SchemaDiff>,
    /// The datasets of both runs compared.
    pub lineage: PortResult<Lineage>,
    /// Metrics both runs logged (candidates for a curve), losses first.
    pub curve_metrics: Vec<String>,
}

impl Console {
    async fn within<T>(
        &self,
        what: &str,
        fut: impl Future<Output = PortResult<T>>,
    ) -> PortResult<T> {
        let limit = self.options().call_timeout;
        match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => Err(BackendError::new(
                Backend::Registry,
                ErrorCode::Timeout,
                format!("{what} did not answer within {:.1}s", limit.as_secs_f64()),
            )),
        }
    }

    /// Schema diff and lineage of the two versions in `cmp`.
    pub async fn compare_evidence(&self, cmp: &Comparison) -> CompareEvidence {
        let r = self.backends().registry.clone();
        let (model, va, vb) = (&cmp.model, &cmp.a.version.version, &cmp.b.version.version);
        let schema = async {
            let (a, b) = tokio::try_join!(
                self.within("reading A's signature", r.model_schema(model, va)),
                self.within("reading B's signature", r.model_schema(model, vb)),
            )?;
            Ok(diff_schemas(a, b))
        };
        let lineage = async {
            let (a, b) = tokio::try_join!(
                self.datasets_of(cmp.a.run.as_ref()),
                self.datasets_of(cmp.b.run.as_ref()),
            )?;
            Ok(compare_lineage(&a, &b))
        };
        let (schema, lineage) = tokio::join!(schema, lineage);
        let curve_metrics = match (&cmp.a.run, &cmp.b.run) {
            (Some(a), Some(b)) => common_metrics(a, b),
            _ => Vec::new(),
        };
        CompareEvidence {
            schema,
            lineage,
            curve_metrics,
        }
    }

    async fn datasets_of(&self, run: Option<&RunData>) -> PortResult<Vec<DatasetInput>> {
        match run {
            None => Ok(Vec::new()),
            Some(run) => {
                let r = self.backends().registry.clone();
                self.within("reading dataset inputs", r.run_datasets(&run.run_id))
                    .await
            }
        }
    }

    /// The history of `metric` in both runs of `cmp`. A metric that is
    /// not logged by both runs is `NotFound`, naming the ones that are.
    pub async fn compare_curve(&self, cmp: &Comparison, metric: &str) -> PortResult<CurvePair> {
        let (Some(ra), Some(rb)) = (&cmp.a.run, &cmp.b.run) else {
            return Err(BackendError::new(
                Backend::Registry,
                ErrorCode::NotFound,
                "training curves need both versions' runs; one has none",
            ));
        };
        let common = common_metrics(ra, rb);
        if !common.iter().any(|m| m == metric) {
            return Err(BackendError::new(
                Backend::Registry,
                ErrorCode::NotFound,
                format!(
                    "metric {metric:?} is not logged by both runs; both have: {}",
                    if common.is_empty() {
                        "none".to_string()
                    } else {
                        common.join(", ")
                    }
                ),
            ));
        }
        let r = self.backends().registry.clone();
        let (a, b) = tokio::try_join!(
            self.within(
                "reading A's metric history",
                r.metric_history(&ra.run_id, metric)
            ),
            self.within(
                "reading B's metric history",
                r.metric_history(&rb.run_id, metric)
            ),
        )?;
        Ok(CurvePair {
            metric: metric.to_string(),
            a,
            b,
        })
    }
}
