//! A feature's bin labels as [`evaluate`](super::evaluate()) hands them
//! out: the edges (or the names) they are made of, formatted only when a
//! front end asks ([`BinLabels::to_vec`]) or the row is serialized. A
//! report of 1,000 features x 50 bins would otherwise format 50,000 labels
//! per evaluation to show one histogram.

use super::evaluate::bin_labels;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The labels of one feature's bins, in bin order.
#[derive(Debug, Clone, PartialEq)]
pub enum BinLabels {
    /// Numeric bins at these frozen edges: `≤e0`, `e0–e1`, .., `>en`
    /// ([`bin_labels`]).
    Edges(Vec<f64>),
    /// Named bins: categories (and the unseen bin), or labels read back
    /// from JSON.
    Names(Vec<String>),
}

impl BinLabels {
    /// How many bins.
    pub fn len(&self) -> usize {
        match self {
            BinLabels::Edges(e) => e.len() + 1,
            BinLabels::Names(n) => n.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every label, formatted (numbers with as few digits as keep
    /// neighbouring edges apart). Untrusted when names: sanitize to draw.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            BinLabels::Edges(e) => bin_labels(e),
            BinLabels::Names(n) => n.clone(),
        }
    }
}

impl From<Vec<String>> for BinLabels {
    fn from(names: Vec<String>) -> BinLabels {
        BinLabels::Names(names)
    }
}

/// JSON carries the formatted labels, as it always did.
impl Serialize for BinLabels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BinLabels::Names(n) => n.serialize(s),
            BinLabels::Edges(_) => self.to_vec().serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for BinLabels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BinLabels, D::Error> {
        Vec::<String>::deserialize(d).map(BinLabels::Names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_format_when_asked_and_serialize_as_labels() {
        let b = BinLabels::Edges(vec![0.5, 1.0]);
        assert_eq!((b.len(), b.is_empty()), (3, false));
        assert_eq!(b.to_vec(), ["≤0.5", "0.5–1", ">1"]);
        let json = serde_json::to_string(&b).unwrap_or_default();
        assert_eq!(json, r#"["≤0.5","0.5–1",">1"]"#);
        let back: BinLabels = serde_json::from_str(&json).unwrap_or(BinLabels::Names(vec![]));
        assert_eq!(back.to_vec(), b.to_vec());
        // No edges: one bin holding everything.
        assert_eq!(BinLabels::Edges(vec![]).to_vec(), ["(all)"]);
        assert_eq!(BinLabels::from(vec!["a".to_string()]).len(), 1);
    }
}
