//! The records of a bulk-import file: JSONL, a JSON array, or CSV with a
//! header, each record with its line number.

use serde_json::{Map, Value};

/// The file formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object a line.
    Jsonl,
    /// A JSON array of objects.
    JsonArray,
    /// CSV with a header row; lists (`tags`, `techniques`, `references`) are
    /// separated by `;` or `|` within a cell.
    Csv,
}

impl Format {
    /// Guesses from the first character: `[` an array, `{` JSONL, else CSV.
    pub fn sniff(text: &str) -> Format {
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next()
        {
            Some('[') => Format::JsonArray,
            Some('{') => Format::Jsonl,
            _ => Format::Csv,
        }
    }
}

/// A record of a file: its line, and its JSON or why it could not be read.
pub type RawRecord = (usize, Result<Value, String>);

/// Splits a file into records with their line numbers. `Err` for a file that
/// cannot be read at all (a broken JSON array, a CSV without a header).
pub fn read_records(text: &str, format: Format) -> Result<Vec<RawRecord>, String> {
    let text = text.trim_start_matches('\u{feff}');
    match format {
        Format::Jsonl => Ok(text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                (
                    i + 1,
                    serde_json::from_str::<Value>(l.trim())
                        .map_err(|e| format!("invalid JSON: {e}")),
                )
            })
            .collect()),
        Format::JsonArray => {
            let items: Vec<Value> =
                serde_json::from_str(text).map_err(|e| format!("invalid JSON array: {e}"))?;
            Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i + 1, Ok(v)))
                .collect())
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(false)
                .trim(csv::Trim::All)
                .from_reader(text.as_bytes());
            let headers: Vec<String> = reader
                .headers()
                .map_err(|e| format!("cannot read the CSV header: {e}"))?
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect();
            if headers.iter().all(|h| h.is_empty()) {
                return Err("the CSV file has no header row".to_string());
            }
            // Every record needs its ID: without the column no row could be
            // imported, and a file with none would pass as empty.
            if !headers.iter().any(|h| h == "external_id") {
                return Err("the CSV header has no external_id column".to_string());
            }
            let mut out = Vec::new();
            for record in reader.records() {
                match record {
                    Ok(r) => {
                        let line = r.position().map(|p| p.line() as usize).unwrap_or(0);
                        let mut map = Map::new();
                        for (h, cell) in headers.iter().zip(r.iter()) {
                            if cell.is_empty() {
                                continue;
                            }
                            let value = match h.as_str() {
                                "tags" | "techniques" | "references" => Value::Array(
                                    cell.split([';', '|'])
                                        .map(str::trim)
                                        .filter(|s| !s.is_empty())
                                        .map(|s| Value::String(s.to_string()))
                                        .collect(),
                                ),
                                _ => Value::String(cell.to_string()),
                            };
                            map.insert(h.clone(), value);
                        }
                        out.push((line, Ok(Value::Object(map))));
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                        out.push((line, Err(format!("invalid CSV row: {e}"))));
                    }
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by schemathesis: a CSV whose header names no `external_id`
    /// (a JSON object sent as CSV) was a 200 importing nothing.
    #[test]
    fn csv_without_the_id_column_is_refused() {
        let err = read_records("{\"a\": 1, \"b\": 2}\n", Format::Csv).unwrap_err();
        assert!(err.contains("external_id"), "{err}");
        assert!(read_records("title,tags\nA,x\n", Format::Csv).is_err());
        assert!(
            read_records("External_ID,title\n", Format::Csv)
                .unwrap()
                .is_empty()
        );
    }
}
