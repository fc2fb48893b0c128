//! Reading the columns `profile build` asks for from a CSV or a Parquet
//! file into [`Column`]s, row by row (the file is never held in memory;
//! a numeric column keeps its values, 8 bytes each, for exact quantiles).
//!
//! Kinds, as pandas would infer them: a column listed in `--categorical`
//! is categorical; otherwise a CSV column is numeric when every cell that
//! is not missing parses as a number, and categorical (its cells as
//! written) as soon as one does not, like pandas' `object` dtype (the
//! summary says which cell made it so); a Parquet column is numeric when
//! its type is a number (integers, floats, decimals, dates and times as
//! numbers) and categorical for strings, bytes and booleans. Missing
//! values: pandas' default `na_values` (empty, `NA`, `N/A`, `NaN`,
//! `null`, `None`, ...) in CSV, after trimming whitespace; nulls and NaN
//! in Parquet.

use modeldeck_core::drift::FeatureKind;
use modeldeck_core::drift::build::Column;
use parquet::basic::{ConvertedType, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::Type;
use std::path::Path;
use std::sync::Arc;

/// pandas' default `na_values`.
const NA_VALUES: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An input feature.
    Feature,
    /// The prediction.
    Prediction,
    /// The label.
    Label,
}

/// The columns asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// Input features; empty: every column but the prediction and label.
    pub features: Vec<String>,
    /// Columns forced categorical.
    pub categorical: Vec<String>,
    /// The prediction column.
    pub prediction: Option<String>,
    /// The label column.
    pub label: Option<String>,
}

/// One column read.
#[derive(Debug)]
pub struct ReadColumn {
    /// Its name as the file has it.
    pub name: String,
    /// What it is for.
    pub role: Role,
    /// Its values.
    pub column: Column,
}

/// What was read.
#[derive(Debug)]
pub struct ReadData {
    /// Data rows.
    pub rows: u64,
    /// The columns, in the order asked (features in file order by default).
    pub columns: Vec<ReadColumn>,
    /// Remarks for the user (why a column is categorical, what was skipped).
    pub notes: Vec<String>,
}

/// A column chosen from the header.
struct Chosen {
    name: String,
    index: usize,
    role: Role,
    kind: Option<FeatureKind>,
}

fn is_na(cell: &str) -> bool {
    NA_VALUES.contains(&cell.trim())
}

/// A short list of names for a message (escaped, at most 20).
fn name_list(names: &[String]) -> String {
    let mut s: Vec<String> = names.iter().take(20).map(|n| format!("{n:?}")).collect();
    if names.len() > 20 {
        s.push(format!("… {} more", names.len() - 20));
    }
    s.join(", ")
}

/// Picks the requested columns out of `header` (`eligible`: may be
/// profiled at all; Parquet's nested columns may not).
fn choose(
    file: &str,
    header: &[String],
    eligible: &dyn Fn(usize) -> Result<(), String>,
    req: &Request,
) -> Result<(Vec<Chosen>, Vec<String>), String> {
    let mut notes = Vec::new();
    let index_of = |name: &str| -> Result<usize, String> {
        if name.is_empty() {
            return Err("an empty column name was given (check the commas)".into());
        }
        let mut hits = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == name);
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => {
                eligible(i)?;
                Ok(i)
            }
            (Some(_), Some(_)) => Err(format!(
                "column {name:?} appears more than once in the header of {file}"
            )),
            (None, _) => Err(format!(
                "column {name:?} is not in {file} (its columns: {})",
                name_list(header)
            )),
        }
    };
    let mut wanted: Vec<(String, Role)> = Vec::new();
    if req.features.is_empty() {
        for (i, h) in header.iter().enumerate() {
            if Some(h) == req.prediction.as_ref() || Some(h) == req.label.as_ref() {
                continue;
            }
            match eligible(i) {
                Ok(()) => wanted.push((h.clone(), Role::Feature)),
                Err(why) => notes.push(format!("skipped: {why}")),
            }
        }
    } else {
        wanted.extend(req.features.iter().map(|f| (f.clone(), Role::Feature)));
    }
    wanted.extend(req.prediction.iter().map(|p| (p.clone(), Role::Prediction)));
    wanted.extend(req.label.iter().map(|l| (l.clone(), Role::Label)));
    if wanted.iter().all(|(_, r)| *r != Role::Feature) {
        return Err(format!("{file} has no column to profile as a feature"));
    }
    let mut chosen: Vec<Chosen> = Vec::with_capacity(wanted.len());
    for (name, role) in wanted {
        if chosen.iter().any(|c| c.name == name) {
            return Err(format!(
                "column {name:?} is named twice (as a feature, the prediction or the label)"
            ));
        }
        let index = index_of(&name)?;
        let forced = req.categorical.contains(&name);
        chosen.push(Chosen {
            name,
            index,
            role,
            kind: forced.then_some(FeatureKind::Categorical),
        });
    }
    for c in &req.categorical {
        if !chosen.iter().any(|k| &k.name == c) {
            index_of(c)?;
            return Err(format!(
                "--categorical names {c:?}, which is not profiled (add it to --features)"
            ));
        }
    }
    Ok((chosen, notes))
}

/// Reads `path` by its extension (`.csv`; `.parquet` or `.pq`), or by its
/// first bytes (`PAR1`) when the extension says neither.
pub fn read(path: &Path, req: &Request) -> Result<ReadData, String> {
    let file = format!("{:?}", path.display().to_string());
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{file} is a directory, not a CSV or Parquet file"));
    }
    if meta.len() == 0 {
        return Err(format!("{file} is empty: no header row, no data"));
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let parquet = match ext.as_str() {
        "csv" => false,
        "parquet" | "pq" => true,
        _ => {
            let mut magic = [0u8; 4];
            let f = std::fs::File::open(path).map_err(|e| format!("cannot read {file}: {e}"))?;
            std::io::Read::read_exact(&mut &f, &mut magic).is_ok() && &magic == b"PAR1"
        }
    };
    if parquet {
        read_parquet(path, &file, req)
    } else {
        read_csv(path, &file, req)
    }
}

fn csv_reader(path: &Path, file: &str) -> Result<csv::Reader<std::fs::File>, String> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| format!("cannot read {file}: {e}"))
}

fn read_csv(path: &Path, file: &str, req: &Request) -> Result<ReadData, String> {
    let mut rdr = csv_reader(path, file)?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{file}: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(format!(
            "{file} has no header row (the first line is empty)"
        ));
    }
    let (mut chosen, mut notes) = choose(file, &header, &|_| Ok(()), req)?;

    // Pass 1: the kinds (and the row count).
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    let mut undecided: Vec<usize> = (0..chosen.len())
        .filter(|&i| chosen[i].kind.is_none())
        .collect();
    // Numbers seen so far per column: a text column says nothing, a
    // column of numbers with one text cell gets a note naming the cell.
    let mut numbers = vec![0u64; chosen.len()];
    while rdr
        .read_record(&mut record)
        .map_err(|e| format!("{file}: {e}"))?
    {
        rows += 1;
        undecided.retain(|&i| {
            let c = &mut chosen[i];
            let cell = record.get(c.index).unwrap_or("");
            if is_na(cell) {
                return true;
            }
            if cell.trim().parse::<f64>().is_ok() {
                numbers[i] += 1;
                return true;
            }
            let line = record.position().map_or(rows + 1, |p| p.line());
            c.kind = Some(FeatureKind::Categorical);
            if numbers[i] == 0 {
                return false;
            }
            notes.push(format!(
                "column {:?} is categorical: {} cells before it hold numbers, but line {line} \
                 holds {:?} (pandas would read it as text too; fix the cell, or pass \
                 --categorical {:?} to say so)",
                c.name,
                numbers[i],
                clip(cell),
                c.name
            ));
            false
        });
    }
    if rows == 0 {
        return Err(format!("{file} has a header but no data rows"));
    }
    let mut columns: Vec<Column> = chosen
        .iter()
        .map(|c| Column::new(c.kind.unwrap_or(FeatureKind::Numeric)))
        .collect();

    // Pass 2: the values.
    let mut rdr = csv_reader(path, file)?;
    while rdr
        .read_record(&mut record)
        .map_err(|e| format!("{file}: {e}"))?
    {
        for (c, col) in chosen.iter().zip(columns.iter_mut()) {
            let cell = record.get(c.index).unwrap_or("");
            match col {
                Column::Numeric { .. } => {
                    col.push_number((!is_na(cell)).then(|| cell.trim().parse().ok()).flatten())
                }
                Column::Categorical { .. } => col.push_category((!is_na(cell)).then_some(cell)),
            }
        }
    }
    Ok(ReadData {
        rows,
        columns: finish(chosen, columns),
        notes,
    })
}

fn finish(chosen: Vec<Chosen>, columns: Vec<Column>) -> Vec<ReadColumn> {
    chosen
        .into_iter()
        .zip(columns)
        .map(|(c, column)| ReadColumn {
            name: c.name,
            role: c.role,
            column,
        })
        .collect()
}

/// A cell for a message: at most 40 characters.
fn clip(s: &str) -> String {
    if s.chars().count() <= 40 {
        return s.to_string();
    }
    let mut out: String = s.chars().take(39).collect();
    out.push('…');
    out
}

fn parquet_kind(t: &Type) -> FeatureKind {
    let info = t.get_basic_info();
    if info.converted_type() == ConvertedType::DECIMAL {
        return FeatureKind::Numeric;
    }
    match t.get_physical_type() {
        PhysicalType::BOOLEAN | PhysicalType::BYTE_ARRAY | PhysicalType::FIXED_LEN_BYTE_ARRAY => {
            FeatureKind::Categorical
        }
        _ => FeatureKind::Numeric,
    }
}

fn read_parquet(path: &Path, file: &str, req: &Request) -> Result<ReadData, String> {
    let hint = |e: parquet::errors::ParquetError| {
        let m = e.to_string();
        if m.contains("compression") || m.contains("codec") || m.contains("feature") {
            format!(
                "{file}: {m} (this build reads uncompressed and snappy Parquet: write it with \
                 compression='snappy')"
            )
        } else {
            format!("{file}: not a readable Parquet file: {m}")
        }
    };
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    let reader = SerializedFileReader::new(f).map_err(hint)?;
    let schema = reader.metadata().file_metadata().schema();
    let fields: Vec<Arc<Type>> = schema.get_fields().to_vec();
    let header: Vec<String> = fields.iter().map(|t| t.name().to_string()).collect();
    let eligible = |i: usize| -> Result<(), String> {
        if fields[i].is_primitive() {
            Ok(())
        } else {
            Err(format!(
                "column {:?} of {file} is nested (a struct, list or map); only flat columns \
                 can be profiled",
                header[i]
            ))
        }
    };
    let (mut chosen, notes) = choose(file, &header, &eligible, req)?;
    for c in &mut chosen {
        c.kind = c.kind.or(Some(parquet_kind(&fields[c.index])));
    }
    let rows = u64::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0);
    if rows == 0 {
        return Err(format!("{file} has columns but no rows"));
    }
    // Read only the chosen columns, in file order.
    let mut order: Vec<usize> = (0..chosen.len()).collect();
    order.sort_by_key(|&i| chosen[i].index);
    let projection = Type::group_type_builder(schema.name())
        .with_fields(
            order
                .iter()
                .map(|&i| fields[chosen[i].index].clone())
                .collect(),
        )
        .build()
        .map_err(hint)?;
    let mut columns: Vec<Column> = chosen
        .iter()
        .map(|c| Column::new(c.kind.unwrap_or(FeatureKind::Numeric)))
        .collect();
    let iter = reader.get_row_iter(Some(projection)).map_err(hint)?;
    for row in iter {
        let row = row.map_err(hint)?;
        for (k, (_, field)) in row.get_column_iter().enumerate() {
            let Some(&i) = order.get(k) else { continue };
            let col = &mut columns[i];
            match col {
                Column::Numeric { .. } => col.push_number(number(field)),
                Column::Categorical { .. } => col.push_category(text(field).as_deref()),
            }
        }
    }
    Ok(ReadData {
        rows,
        columns: finish(chosen, columns),
        notes,
    })
}

/// A Parquet value as a number (`None`: null, or not a number).
fn number(f: &Field) -> Option<f64> {
    Some(match *f {
        Field::Byte(v) => f64::from(v),
        Field::Short(v) => f64::from(v),
        Field::Int(v) => f64::from(v),
        Field::Long(v) => v as f64,
        Field::UByte(v) => f64::from(v),
        Field::UShort(v) => f64::from(v),
        Field::UInt(v) => f64::from(v),
        Field::ULong(v) => v as f64,
        Field::Float16(v) => f64::from(f32::from(v)),
        Field::Float(v) => f64::from(v),
        Field::Double(v) => v,
        Field::Date(v) | Field::TimeMillis(v) => f64::from(v),
        Field::TimeMicros(v) | Field::TimestampMillis(v) | Field::TimestampMicros(v) => v as f64,
        Field::Bool(b) => f64::from(u8::from(b)),
        Field::Decimal(ref d) => decimal(d.data(), d.scale())?,
        _ => return None,
    })
}

/// A big-endian two's complement decimal with `scale` digits after the point.
fn decimal(bytes: &[u8], scale: i32) -> Option<f64> {
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let negative = bytes[0] & 0x80 != 0;
    let mut v: i128 = if negative { -1 } else { 0 };
    for &b in bytes {
        v = (v << 8) | i128::from(b);
    }
    Some(v as f64 / 10f64.powi(scale))
}

/// A Parquet value as a category (`None`: null).
fn text(f: &Field) -> Option<String> {
    match f {
        Field::Null => None,
        Field::Bool(b) => Some(b.to_string()),
        Field::Str(s) => Some(s.clone()),
        Field::Bytes(b) => Some(String::from_utf8_lossy(b.data()).into_owned()),
        other => number(other).filter(|x| !x.is_nan()).map(|x| x.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pandas_missing_values_and_decimals() {
        for na in ["", " ", "NA", "n/a", "NaN", "null", " None "] {
            assert!(is_na(na), "{na:?}");
        }
        assert!(!is_na("0") && !is_na("na") && !is_na("missing"));
        assert_eq!(decimal(&[0x30, 0x39], 2), Some(123.45));
        assert_eq!(decimal(&[0xff, 0xfe], 0), Some(-2.0));
        assert_eq!(decimal(&[], 0), None);
        assert_eq!(clip(&"x".repeat(50)).chars().count(), 40);
    }
}
