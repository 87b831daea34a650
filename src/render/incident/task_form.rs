//! The form that changes a task: its title, owner, due date, and the step
//! or ATLAS mitigation it is about, each picker showing the current choice.

use super::detail::mitigations_of;
use crate::atlas::ActiveAtlas;
use crate::domain::IncidentDetail;
use crate::domain::teamwork::Task;
use crate::render::Link;

/// One `<option>` of a picker.
pub struct PickView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The task edit page (`templates/incidents/task_edit.html`).
pub struct TaskFormView {
    pub id: String,
    pub title: String,
    pub task_id: String,
    pub task_title: String,
    pub due_on: String,
    /// Nobody, then everyone who may work incidents.
    pub owners: Vec<PickView>,
    /// The whole incident, then its steps.
    pub steps: Vec<PickView>,
    /// None, then the mitigations of the incident's techniques (and the
    /// task's own, if it names another).
    pub mitigations: Vec<PickView>,
}

fn picks(
    none: &str,
    current: Option<&str>,
    items: impl Iterator<Item = (String, String)>,
) -> Vec<PickView> {
    let mut out = vec![PickView {
        value: String::new(),
        label: none.to_string(),
        selected: current.is_none(),
    }];
    out.extend(items.map(|(value, label)| PickView {
        selected: current == Some(value.as_str()),
        value,
        label,
    }));
    // A value no longer offered (a retired mitigation) stays chosen.
    if let Some(c) = current
        && !out.iter().any(|p| p.selected)
    {
        out.push(PickView {
            value: c.to_string(),
            label: c.to_string(),
            selected: true,
        });
    }
    out
}

impl TaskFormView {
    pub fn build(
        atlas: &ActiveAtlas,
        detail: &IncidentDetail,
        task: &Task,
        workers: &[String],
    ) -> Self {
        let steps = detail.steps.iter().map(|s| {
            let name = Link::technique(atlas, &s.technique_id).name;
            (s.id.clone(), format!("Step {}: {name}", s.position))
        });
        let mitigations = mitigations_of(atlas, &detail.steps)
            .into_iter()
            .map(|m| (m.id.clone(), format!("{} ({})", m.name, m.id)));
        let owners = workers.iter().map(|w| (w.clone(), w.clone()));
        TaskFormView {
            id: detail.incident.id.clone(),
            title: detail.incident.title.clone(),
            task_id: task.id.clone(),
            task_title: task.title.clone(),
            due_on: task.due_on.clone().unwrap_or_default(),
            owners: picks("— nobody yet —", task.owner.as_deref(), owners),
            steps: picks("— the whole incident —", task.step_id.as_deref(), steps),
            mitigations: picks(
                "— no ATLAS mitigation —",
                task.mitigation_id.as_deref(),
                mitigations,
            ),
        }
    }
}
