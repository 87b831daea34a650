//! The closed vocabularies of incidents and steps. Each parses only its own
//! lowercase names, so an unknown value is a validation error naming the field.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal, $label:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// Human label for pages.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// "one of a, b, c" for error messages.
            pub fn expected() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                format!("one of {}", names.join(", "))
            }
        }

        // By hand from `ALL`: utoipa's derive does not see the serde names
        // through this macro (it showed the Rust variant names).
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl $name {
            /// A list filter of these values (`?status=open&status=resolved`):
            /// each value one name, several joined by commas, or empty, as a
            /// form's "any" sends it; the filter extractor takes exactly these.
            pub fn filter_schema() -> utoipa::openapi::schema::Array {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                let one = format!(r"\s*({})?\s*", names.join("|"));
                utoipa::openapi::schema::ArrayBuilder::new()
                    .items(
                        utoipa::openapi::schema::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::schema::Type::String)
                            .pattern(Some(format!("^{one}(,{one})*$")))
                            .description(Some(format!("{}, comma-separated or empty", Self::expected()))),
                    )
                    .build()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// What kind of record an incident is.
    Kind {
        Incident => "incident", "Incident";
        Exercise => "exercise", "Exercise";
        CaseStudy => "case-study", "Case study";
    }
}

vocabulary! {
    /// Severity, ordered from least to most serious.
    Severity {
        Low => "low", "Low";
        Medium => "medium", "Medium";
        High => "high", "High";
        Critical => "critical", "Critical";
    }
}

vocabulary! {
    Status {
        Open => "open", "Open";
        Contained => "contained", "Contained";
        Resolved => "resolved", "Resolved";
        Closed => "closed", "Closed";
    }
}

vocabulary! {
    /// What the defences did at one step.
    Outcome {
        Prevented => "prevented", "Prevented";
        Detected => "detected", "Detected";
        Missed => "missed", "Missed";
        Unknown => "unknown", "Unknown";
    }
}

vocabulary! {
    /// Where a step came from.
    StepSource {
        Manual => "manual", "Manual";
        CaseStudy => "case-study", "ATLAS case study";
        Alert => "alert", "Alert";
        LayerImport => "layer-import", "Navigator layer import";
    }
}
