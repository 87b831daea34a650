//! CSV of the incident list and of its steps (one row per step), for
//! spreadsheets: RFC 4180 (CRLF, quoted where needed) with a header row,
//! written a batch at a time so an export of every incident streams in
//! bounded memory. Cells a spreadsheet would run as a formula are
//! neutralised ([`neutralise`]). Dates are in the form the bulk import reads
//! back (`2024`, `2024-03`, `2024-03-17` or RFC 3339); lists are joined
//! with `; ` as the bulk import splits them.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::atlas::ActiveAtlas;
use crate::domain::{FuzzyTime, Observation};
use crate::store::IncidentSummary;

/// The media type of both CSVs (RFC 4180, with its optional `header`).
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8; header=present";

/// Which rows a CSV holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvRows {
    /// One row per incident (`rows=incidents`, the default).
    #[default]
    Incidents,
    /// One row per step of the incidents (`rows=steps`).
    Steps,
}

impl CsvRows {
    pub fn parse(s: &str) -> Option<CsvRows> {
        match s {
            "incidents" => Some(CsvRows::Incidents),
            "steps" => Some(CsvRows::Steps),
            _ => None,
        }
    }

    /// The stem of the download's file name.
    pub fn file_stem(self) -> &'static str {
        match self {
            CsvRows::Incidents => "incidents",
            CsvRows::Steps => "incident-steps",
        }
    }

    fn header(self) -> &'static [&'static str] {
        match self {
            CsvRows::Incidents => INCIDENT_HEADER,
            CsvRows::Steps => STEP_HEADER,
        }
    }
}

const INCIDENT_HEADER: &[&str] = &[
    "id",
    "title",
    "kind",
    "severity",
    "status",
    "occurred",
    "detected",
    "resolved",
    "target",
    "actor",
    "reporter",
    "owner",
    "participants",
    "tags",
    "references",
    "step_count",
    "atlas_release",
    "source_ref",
    "created_at",
    "updated_at",
    "summary",
];

const STEP_HEADER: &[&str] = &[
    "incident_id",
    "incident_title",
    "position",
    "tactic_id",
    "tactic_name",
    "technique_id",
    "technique_name",
    "observed",
    "outcome",
    "confidence",
    "source",
    "description",
    "evidence",
    "step_id",
    "created_at",
    "updated_at",
];

/// The characters that make a spreadsheet read a cell as a formula (or,
/// tab and carriage return, that some of them skip before one), after
/// OWASP's "CSV Injection" advice.
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// The cell as written: one starting with a formula character gets a
/// leading `'`, which spreadsheets show as text and do not evaluate.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    w.into_inner().map_err(|e| e.into_error().into())
}

fn write_row(w: &mut csv::Writer<Vec<u8>>, cells: &[Cow<'_, str>]) -> Result<(), csv::Error> {
    w.write_record(cells.iter().map(|c| neutralise(c).into_owned()))
}

fn date(t: &Option<FuzzyTime>) -> Cow<'static, str> {
    t.as_ref()
        .map_or(Cow::Borrowed(""), |t| Cow::Owned(t.input_value()))
}

/// The header row.
pub fn header(rows: CsvRows) -> Result<Vec<u8>, csv::Error> {
    let mut w = writer();
    w.write_record(rows.header())?;
    finish(w)
}

/// One row per incident of the batch, in its order.
pub fn incident_rows(batch: &[IncidentSummary]) -> Result<Vec<u8>, csv::Error> {
    let mut w = writer();
    for s in batch {
        let i = &s.incident;
        let references: Vec<&str> = i.references.iter().map(|r| r.url.as_str()).collect();
        let row: [Cow<'_, str>; 21] = [
            Cow::Borrowed(&i.id),
            Cow::Borrowed(&i.title),
            Cow::Borrowed(i.kind.as_str()),
            Cow::Borrowed(i.severity.as_str()),
            Cow::Borrowed(i.status.as_str()),
            date(&i.occurred),
            date(&i.detected),
            date(&i.resolved),
            Cow::Borrowed(&i.target),
            Cow::Borrowed(&i.actor),
            Cow::Borrowed(&i.reporter),
            Cow::Borrowed(s.members.owner.as_deref().unwrap_or("")),
            Cow::Owned(s.members.participants.join("; ")),
            Cow::Owned(i.tags.join("; ")),
            Cow::Owned(references.join("; ")),
            Cow::Owned(s.step_count.to_string()),
            Cow::Borrowed(&i.atlas_release),
            Cow::Borrowed(i.source_ref.as_deref().unwrap_or("")),
            Cow::Borrowed(&i.created_at),
            Cow::Borrowed(&i.updated_at),
            Cow::Borrowed(&i.summary),
        ];
        write_row(&mut w, &row)?;
    }
    finish(w)
}

/// One row per step of the batch's incidents: incidents in the batch's
/// order, steps in story order; names from the active release (empty for
/// an ID it does not know).
pub fn step_rows(
    batch: &[IncidentSummary],
    steps: &HashMap<String, Vec<Observation>>,
    atlas: &ActiveAtlas,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = writer();
    for s in batch {
        let i = &s.incident;
        for step in steps.get(&i.id).map(Vec::as_slice).unwrap_or_default() {
            let tactic = atlas.tactic(&step.tactic_id).map(|t| t.name.clone());
            let technique = atlas
                .technique(&step.technique_id)
                .map(|t| atlas.display_name(t));
            let row: [Cow<'_, str>; 16] = [
                Cow::Borrowed(&i.id),
                Cow::Borrowed(&i.title),
                Cow::Owned(step.position.to_string()),
                Cow::Borrowed(&step.tactic_id),
                Cow::Owned(tactic.unwrap_or_default()),
                Cow::Borrowed(&step.technique_id),
                Cow::Owned(technique.unwrap_or_default()),
                date(&step.observed),
                Cow::Borrowed(step.outcome.as_str()),
                Cow::Owned(step.confidence.map(|c| c.to_string()).unwrap_or_default()),
                Cow::Borrowed(step.source.as_str()),
                Cow::Borrowed(&step.description),
                Cow::Borrowed(&step.evidence),
                Cow::Borrowed(&step.id),
                Cow::Borrowed(&step.created_at),
                Cow::Borrowed(&step.updated_at),
            ];
            write_row(&mut w, &row)?;
        }
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_leading_quote_and_others_do_not() {
        for cell in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["plain", "a=b", "", " =x", "2024-03", "AML.T0051"] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn a_header_is_one_crlf_line() {
        let h = String::from_utf8(header(CsvRows::Steps).unwrap()).unwrap();
        assert!(h.starts_with("incident_id,incident_title,position,tactic_id,"));
        assert!(
            h.ends_with("\r\n") && h.matches("\r\n").count() == 1,
            "{h:?}"
        );
    }
}
