//! Attachments as the incident page shows them: name, size, SHA-256, who
//! attached it and when, the step it belongs to; each links to its download
//! (never embedded). Pure.

use super::teamwork::When;
use crate::domain::Observation;
use crate::domain::attachment::{Attachment, human_size};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentView {
    pub id: String,
    pub file_name: String,
    pub size: String,
    pub sha256: String,
    pub media_type: String,
    pub uploaded_by: String,
    pub when: When,
    /// The step's ID and number, when it is attached to one.
    pub step: Option<(String, i64)>,
    pub download_href: String,
    pub remove_href: String,
}

/// One `<option>` of the step picker of the upload form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOption {
    pub id: String,
    pub label: String,
}

/// The attachments section of an incident page.
#[derive(Debug, Clone, Default)]
pub struct AttachmentsView {
    /// Attached files, the oldest first (removed ones are in the timeline only).
    pub items: Vec<AttachmentView>,
    pub steps: Vec<StepOption>,
    /// The largest file accepted, for people ("10.0 MiB").
    pub max_size: String,
    pub max_bytes: usize,
}

impl AttachmentsView {
    /// The files attached to the step `id`.
    pub fn of_step(&self, id: &str) -> Vec<&AttachmentView> {
        self.items
            .iter()
            .filter(|a| a.step.as_ref().is_some_and(|(s, _)| s == id))
            .collect()
    }
}

/// Where an attachment is downloaded from (a path no page embeds).
pub fn download_href(a: &Attachment) -> String {
    format!("/incidents/{}/attachments/{}/download", a.incident_id, a.id)
}

pub fn attachment_view(a: &Attachment, steps: &[Observation]) -> AttachmentView {
    let step = a.step_id.as_ref().and_then(|id| {
        steps
            .iter()
            .find(|s| &s.id == id)
            .map(|s| (s.id.clone(), s.position))
    });
    AttachmentView {
        id: a.id.clone(),
        file_name: a.file_name.clone(),
        size: human_size(a.size),
        sha256: a.sha256.clone(),
        media_type: a.media_type.clone(),
        uploaded_by: a.uploaded_by.clone(),
        when: When::of(&a.uploaded_at),
        step,
        download_href: download_href(a),
        remove_href: format!("/incidents/{}/attachments/{}/remove", a.incident_id, a.id),
    }
}

pub fn attachments_view(
    list: &[Attachment],
    steps: &[Observation],
    max_bytes: usize,
) -> AttachmentsView {
    AttachmentsView {
        items: list
            .iter()
            .filter(|a| !a.is_removed())
            .map(|a| attachment_view(a, steps))
            .collect(),
        steps: steps
            .iter()
            .map(|s| StepOption {
                id: s.id.clone(),
                label: format!("Step {} ({})", s.position, s.technique_id),
            })
            .collect(),
        max_size: human_size(max_bytes as i64),
        max_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(step: Option<&str>, removed: bool) -> Attachment {
        Attachment {
            id: "att-1".into(),
            incident_id: "inc-1".into(),
            step_id: step.map(str::to_string),
            file_name: "a.txt".into(),
            media_type: "text/plain".into(),
            size: 2048,
            sha256: "ab".into(),
            uploaded_at: "2026-03-01T10:00:00Z".into(),
            uploaded_by: "ana".into(),
            removed_at: removed.then(|| "2026-03-01T11:00:00Z".to_string()),
            removed_by: removed.then(|| "ana".to_string()),
        }
    }

    #[test]
    fn removed_files_are_not_listed_and_steps_find_theirs() {
        let list = [attachment(Some("st-1"), false), attachment(None, true)];
        let v = attachments_view(&list, &[], 10 * 1024 * 1024);
        assert_eq!(v.items.len(), 1);
        assert_eq!(v.items[0].size, "2.0 KiB");
        assert_eq!(
            v.items[0].download_href,
            "/incidents/inc-1/attachments/att-1/download"
        );
        assert_eq!(v.max_size, "10.0 MiB");
        // The step is not among the incident's: no step shown.
        assert_eq!(v.items[0].step, None);
        assert!(v.of_step("st-1").is_empty());
    }
}
