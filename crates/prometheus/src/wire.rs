//! The JSON the Prometheus HTTP API speaks: the `{status, data, errorType,
//! error, warnings, infos}` envelope and the four query result types. Sample
//! values arrive as strings (`"NaN"`, `"+Inf"`, `"-Inf"`, `"0.25"`) and
//! timestamps as float seconds; both become plain Rust numbers here.
//! Native-histogram samples (`histogram` / `histograms` keys) are kept, so a
//! series that carries only them is a histogram series, not an error.

use modeldeck_core::domain::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Label set of one series (`__name__` included when the server sends it).
pub type Labels = BTreeMap<String, String>;

/// One sample: time and value (NaN and ±Inf included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Sample time, millisecond precision (Prometheus' own resolution).
    pub at: Timestamp,
    /// Value as Prometheus computed it.
    pub value: f64,
}

/// One bucket of a native histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramBucket {
    /// 0 open-left, 1 open-right, 2 open-both, 3 closed-both.
    pub boundary_rule: u8,
    /// Lower boundary.
    pub lower: f64,
    /// Upper boundary.
    pub upper: f64,
    /// Observations in the bucket.
    pub count: f64,
}

/// A native histogram sample (experimental in Prometheus 2.x).
#[derive(Debug, Clone, PartialEq)]
pub struct NativeHistogram {
    /// Sample time.
    pub at: Timestamp,
    /// Total observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Buckets, as sent.
    pub buckets: Vec<HistogramBucket>,
}

/// One series of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSeries {
    /// Labels.
    pub labels: Labels,
    /// The float sample; `None` for a native-histogram series.
    pub sample: Option<Sample>,
    /// The native-histogram sample, if any.
    pub histogram: Option<NativeHistogram>,
}

/// One series of a range result (matrix).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    /// Labels.
    pub labels: Labels,
    /// Float samples in time order (steps without data are absent).
    pub samples: Vec<Sample>,
    /// Native-histogram samples, if any.
    pub histograms: Vec<NativeHistogram>,
}

/// `data` of a query answer, by `resultType`.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryData {
    /// `vector`: one sample per series.
    Vector(Vec<InstantSeries>),
    /// `matrix`: many samples per series.
    Matrix(Vec<RangeSeries>),
    /// `scalar`: one number.
    Scalar(Sample),
    /// `string`: one string (a PromQL string literal).
    String {
        /// Evaluation time.
        at: Timestamp,
        /// The string.
        value: String,
    },
}

impl QueryData {
    /// The `resultType` name.
    pub fn kind(&self) -> &'static str {
        match self {
            QueryData::Vector(_) => "vector",
            QueryData::Matrix(_) => "matrix",
            QueryData::Scalar(_) => "scalar",
            QueryData::String { .. } => "string",
        }
    }
}

/// A successful answer: the data plus the server's annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse<T> {
    /// `data`.
    pub data: T,
    /// `warnings` (may accompany success).
    pub warnings: Vec<String>,
    /// `infos` (Prometheus >= 2.54; empty before).
    pub infos: Vec<String>,
}

/// The envelope, before `status` is judged.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub status: String,
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub infos: Vec<String>,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Value,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: Labels,
    #[serde(default)]
    value: Option<(f64, String)>,
    #[serde(default)]
    values: Option<Vec<(f64, String)>>,
    #[serde(default)]
    histogram: Option<(f64, RawHistogram)>,
    #[serde(default)]
    histograms: Option<Vec<(f64, RawHistogram)>>,
}

#[derive(Deserialize)]
struct RawHistogram {
    count: String,
    sum: String,
    #[serde(default)]
    buckets: Vec<(u8, String, String, String)>,
}

/// Float seconds to a millisecond timestamp (Prometheus sends ms precision).
pub fn secs_to_timestamp(secs: f64) -> Timestamp {
    Timestamp((secs * 1000.0).round() as i64)
}

/// Parses a sample value as Prometheus spells it.
pub fn parse_value(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("sample value {s:?} is not a number"))
}

fn sample(p: (f64, String)) -> Result<Sample, String> {
    if !p.0.is_finite() {
        return Err(format!("sample timestamp {} is not finite", p.0));
    }
    Ok(Sample {
        at: secs_to_timestamp(p.0),
        value: parse_value(&p.1)?,
    })
}

fn histogram(p: (f64, RawHistogram)) -> Result<NativeHistogram, String> {
    let buckets =
        p.1.buckets
            .into_iter()
            .map(|(rule, lo, hi, n)| {
                Ok(HistogramBucket {
                    boundary_rule: rule,
                    lower: parse_value(&lo)?,
                    upper: parse_value(&hi)?,
                    count: parse_value(&n)?,
                })
            })
            .collect::<Result<_, String>>()?;
    Ok(NativeHistogram {
        at: secs_to_timestamp(p.0),
        count: parse_value(&p.1.count)?,
        sum: parse_value(&p.1.sum)?,
        buckets,
    })
}

fn from_value<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("{what}: {e}"))
}

/// Decodes query `data` (`{resultType, result}`).
pub(crate) fn decode_query_data(data: Value) -> Result<QueryData, String> {
    let raw: RawData = from_value(data, "data")?;
    match raw.result_type.as_str() {
        "vector" => {
            let series: Vec<RawSeries> = from_value(raw.result, "vector result")?;
            let out = series
                .into_iter()
                .map(|s| {
                    Ok(InstantSeries {
                        sample: s.value.map(sample).transpose()?,
                        histogram: s.histogram.map(histogram).transpose()?,
                        labels: s.metric,
                    })
                })
                .collect::<Result<_, String>>()?;
            Ok(QueryData::Vector(out))
        }
        "matrix" => {
            let series: Vec<RawSeries> = from_value(raw.result, "matrix result")?;
            let out = series
                .into_iter()
                .map(|s| {
                    let samples = s.values.unwrap_or_default();
                    let hists = s.histograms.unwrap_or_default();
                    Ok(RangeSeries {
                        samples: samples.into_iter().map(sample).collect::<Result<_, _>>()?,
                        histograms: hists.into_iter().map(histogram).collect::<Result<_, _>>()?,
                        labels: s.metric,
                    })
                })
                .collect::<Result<_, String>>()?;
            Ok(QueryData::Matrix(out))
        }
        "scalar" => {
            let p: (f64, String) = from_value(raw.result, "scalar result")?;
            Ok(QueryData::Scalar(sample(p)?))
        }
        "string" => {
            let (t, value): (f64, String) = from_value(raw.result, "string result")?;
            Ok(QueryData::String {
                at: secs_to_timestamp(t),
                value,
            })
        }
        other => Err(format!("unknown resultType {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_specials_and_histograms() {
        let v = json!({"resultType": "vector", "result": [
            {"metric": {"a": "1"}, "value": [1795824000.5, "NaN"]},
            {"metric": {"a": "2"}, "value": [1795824000, "+Inf"]},
            {"metric": {"a": "3"}, "histogram": [1795824000, {"count": "2", "sum": "0.5",
                "buckets": [[0, "0", "0.25", "2"]]}]}
        ]});
        let QueryData::Vector(s) = decode_query_data(v).unwrap() else {
            panic!("not a vector")
        };
        assert!(s[0].sample.unwrap().value.is_nan());
        assert_eq!(s[0].sample.unwrap().at, Timestamp(1_795_824_000_500));
        assert_eq!(s[1].sample.unwrap().value, f64::INFINITY);
        assert!(s[2].sample.is_none());
        assert_eq!(s[2].histogram.as_ref().unwrap().buckets[0].upper, 0.25);
    }

    #[test]
    fn rejects_bad_values_by_name() {
        let v = json!({"resultType": "scalar", "result": [1, "twelve"]});
        let e = decode_query_data(v).unwrap_err();
        assert!(e.contains("\"twelve\""), "{e}");
        let v = json!({"resultType": "table", "result": []});
        assert!(decode_query_data(v).unwrap_err().contains("table"));
    }
}
