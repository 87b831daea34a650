//! Reordering an incident's attack path: one step to a new place in one
//! action ("move to position N"), the optimistic version kept.

use crate::domain::ValidationError;
use crate::domain::limits;
use crate::service::ServiceError;
use crate::store::Store;

/// The typed position: a whole number from 1 to the most steps an incident
/// may have (a number past the last step means "last").
pub fn parse_position(text: &str) -> Result<i64, ValidationError> {
    let refuse = || {
        ValidationError::new(
            "position",
            format!(
                "position: must be a whole number from 1 to {}",
                limits::STEPS
            ),
        )
    };
    let n: i64 = text.trim().parse().map_err(|_| refuse())?;
    if (1..=limits::STEPS as i64).contains(&n) {
        Ok(n)
    } else {
        Err(refuse())
    }
}

/// Moves `step_id` to `position` (1-based, see [`parse_position`]); the other
/// steps keep their order. Returns the incident's version afterwards. A stale
/// `version` is a store `Conflict` and nothing moves.
pub async fn move_step_to(
    store: &Store,
    incident_id: &str,
    step_id: &str,
    position: &str,
    version: Option<i64>,
) -> Result<i64, ServiceError> {
    let position = parse_position(position)?;
    Ok(store
        .move_step_to(incident_id, step_id, position, version)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_whole_numbers_in_range() {
        assert_eq!(parse_position(" 3 "), Ok(3));
        assert_eq!(parse_position("1"), Ok(1));
        for bad in ["", "0", "-1", "2.5", "three", "99999999999999999999"] {
            let e = parse_position(bad).unwrap_err();
            assert_eq!(e.field, "position", "{bad}");
        }
        assert!(parse_position(&limits::STEPS.to_string()).is_ok());
        assert!(parse_position(&(limits::STEPS + 1).to_string()).is_err());
    }
}
