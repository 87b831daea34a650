//! The STIX 2.1 vocabulary that atlasview's bundles share, read and written
//! (the writer in `export::stix`, the reader in `service::stix`).

use super::IncidentDetail;

/// The Attack Flow 2.0 extension definition (fixed by CTID).
pub const ATTACK_FLOW_EXTENSION: &str =
    "extension-definition--fb9c968a-745b-4ade-9b25-c324172197f4";
/// The `source_name` of ATLAS external references (as MITRE's own bundle).
pub const ATLAS_SOURCE: &str = "mitre-atlas";
/// The `source_name` of the external reference carrying our incident ID.
pub const ATLASVIEW_SOURCE: &str = "atlasview";
/// Our own incident fields on a report (kind, severity, status, dates with
/// their precision, target, actor, reporter), as STIX 2.1 wants custom
/// properties: top-level, named `x_atlasview_…`, declared by an extension
/// definition the report names. Attack Flow objects get none (their schema
/// allows no other properties).
pub const INCIDENT_PROPERTIES: [&str; 10] = [
    "x_atlasview_kind",
    "x_atlasview_severity",
    "x_atlasview_status",
    "x_atlasview_occurred",
    "x_atlasview_detected",
    "x_atlasview_resolved",
    "x_atlasview_target",
    "x_atlasview_actor",
    "x_atlasview_reporter",
    "x_atlasview_order_unknown",
];

/// An incident to export: its view, and whether the order of its steps is
/// unknown (an unordered import, see [`crate::store::OriginRecord`]).
#[derive(Debug, Clone)]
pub struct ExportIncident {
    pub detail: IncidentDetail,
    pub order_unknown: bool,
}
