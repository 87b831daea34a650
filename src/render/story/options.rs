//! What the story is asked for: which lanes, and whether it carries its title.

/// Which lanes the picture has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LaneMode {
    /// Only the tactics the incident's steps are in.
    #[default]
    Reached,
    /// Every tactic of the active release (plus any unknown tactic a step names).
    All,
}

/// A refused `lanes` query value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LaneModeError {
    pub message: String,
}

impl LaneMode {
    /// `reached` (also absent or empty) or `all`.
    pub fn parse(raw: Option<&str>) -> Result<LaneMode, LaneModeError> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "reached" => Ok(LaneMode::Reached),
            "all" => Ok(LaneMode::All),
            other => Err(LaneModeError {
                message: format!(
                    "lanes must be \"reached\" or \"all\", not {:?}",
                    other.chars().take(40).collect::<String>()
                ),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LaneMode::Reached => "reached",
            LaneMode::All => "all",
        }
    }
}

/// What the layout is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoryOptions {
    pub lanes: LaneMode,
    /// Draw the incident title and the summary sentence at the top (for the
    /// standalone SVG; a page shows them as HTML instead).
    pub titled: bool,
}
