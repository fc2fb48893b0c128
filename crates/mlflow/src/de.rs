//! Lenient decoders for MLflow's JSON quirks: metric values that arrive as
//! `"NaN"`/`"Infinity"` strings, int64 fields that older servers send as
//! strings, versions that must stay strings.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A metric value: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"` (any
/// case, `inf` accepted). The SQL store clamps ±infinity to ±`f64::MAX`;
/// those two values are read back as ±infinity, which is what was logged.
pub fn metric_value<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number or \"NaN\"/\"Infinity\"/\"-Infinity\"")
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(unclamp(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            parse_special(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}

fn unclamp(v: f64) -> f64 {
    if v == f64::MAX {
        f64::INFINITY
    } else if v == f64::MIN {
        f64::NEG_INFINITY
    } else {
        v
    }
}

fn parse_special(s: &str) -> Option<f64> {
    match s.trim().to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "inf" | "+infinity" | "+inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse::<f64>().ok().map(unclamp),
    }
}

/// An optional int64 sent as a number or a numeric string.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer or an integer string")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("integer out of range"))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v as i64))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.trim()
                .parse()
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_option(V)
}

/// An int64 (see [`opt_i64`]) that defaults to 0 when absent or null.
pub fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_i64(d).map(|v| v.unwrap_or(0))
}

/// A version: a string as MLflow sends it, or a number from a sloppy proxy.
pub fn version<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a version string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(V)
}

/// An optional string where `""` means absent (MLflow sends `description: ""`).
pub fn opt_nonempty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(v.filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct M {
        #[serde(deserialize_with = "super::metric_value")]
        value: f64,
        #[serde(default, deserialize_with = "super::opt_i64")]
        ts: Option<i64>,
        #[serde(default, deserialize_with = "super::opt_nonempty")]
        d: Option<String>,
    }

    fn m(s: &str) -> M {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn metric_values_accept_mlflow_spellings() {
        assert!(m(r#"{"value":"NaN"}"#).value.is_nan());
        assert_eq!(m(r#"{"value":"Infinity"}"#).value, f64::INFINITY);
        assert_eq!(m(r#"{"value":"-Infinity"}"#).value, f64::NEG_INFINITY);
        assert_eq!(
            m(r#"{"value":1.7976931348623157e+308}"#).value,
            f64::INFINITY
        );
        assert_eq!(
            m(r#"{"value":-1.7976931348623157e+308}"#).value,
            f64::NEG_INFINITY
        );
        assert_eq!(m(r#"{"value":3}"#).value, 3.0);
        assert_eq!(m(r#"{"value":"0.25"}"#).value, 0.25);
        assert!(serde_json::from_str::<M>(r#"{"value":"high"}"#).is_err());
        assert!(serde_json::from_str::<M>(r#"{"value":null}"#).is_err());
    }

    #[test]
    fn int64_as_number_or_string_and_empty_strings() {
        assert_eq!(
            m(r#"{"value":1,"ts":1795869880555}"#).ts,
            Some(1_795_869_880_555)
        );
        assert_eq!(m(r#"{"value":1,"ts":"17"}"#).ts, Some(17));
        assert_eq!(m(r#"{"value":1,"ts":null}"#).ts, None);
        assert_eq!(m(r#"{"value":1}"#).ts, None);
        assert_eq!(m(r#"{"value":1,"d":""}"#).d, None);
        assert_eq!(m(r#"{"value":1,"d":"x"}"#).d.as_deref(), Some("x"));
    }
}
