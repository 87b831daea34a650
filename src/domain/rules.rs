//! ATLAS rules for a step: the technique exists and serves the step's tactic.

use super::incident::{StepDraft, ValidationError};
use crate::atlas::Release;

/// Checks a step against the release the incident is mapped to. `elsewhere`
/// is the technique as the newest other stored release has it, for techniques
/// that are not (or no longer) in that release.
pub fn check_step(
    step: &StepDraft,
    release: &Release,
    elsewhere: Option<&crate::atlas::Technique>,
    prefix: &str,
) -> Result<(), ValidationError> {
    let technique = release
        .technique(&step.technique_id)
        .or(elsewhere)
        .ok_or_else(|| {
            ValidationError::new(
                format!("{prefix}technique"),
                format!(
                    "{} is not a technique of any stored ATLAS release",
                    step.technique_id
                ),
            )
        })?;
    if release.tactic(&step.tactic_id).is_none() {
        return Err(ValidationError::new(
            format!("{prefix}tactic"),
            format!(
                "{} is not a tactic of ATLAS release {}",
                step.tactic_id, release.version
            ),
        ));
    }
    if !technique.tactics.contains(&step.tactic_id) {
        return Err(ValidationError::new(
            format!("{prefix}technique"),
            format!(
                "{} does not serve the tactic {} (it serves {})",
                step.technique_id,
                step.tactic_id,
                technique.tactics.join(", ")
            ),
        ));
    }
    Ok(())
}
