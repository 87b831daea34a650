//! The paper sizes a printed page is laid out for.

/// The paper a printed page is laid out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    Letter,
}

impl Paper {
    pub fn as_str(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::Letter => "letter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Paper::A4 => "A4",
            Paper::Letter => "US Letter",
        }
    }

    /// The same rule, for a document printed to PDF.
    pub fn css(self) -> &'static str {
        match self {
            Paper::A4 => include_str!("../../static/paper-a4.css"),
            Paper::Letter => include_str!("../../static/paper-letter.css"),
        }
    }
}
