//! The matrix's own query options, parsed once for every matrix view
//! (`/matrix`, `/matrix.svg`, `/matrix/layer.json`, `/api/v1/matrix`) and
//! turned into the [`MatrixOptions`] the view is built with.

use std::collections::BTreeSet;

use super::matrix::{MatrixOptions, SubtechniqueMode};
use crate::atlas::ids::is_technique_id;

/// Why a matrix query was refused: the parameter and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    pub field: &'static str,
    pub message: String,
}

/// Which sub-technique lists a page asks to open (`subtechniques=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubsMode {
    /// Lists holding an observed (or searched-for) sub-technique.
    #[default]
    Observed,
    Collapsed,
    All,
}

impl SubsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SubsMode::Observed => "observed",
            SubsMode::Collapsed => "collapsed",
            SubsMode::All => "all",
        }
    }

    fn parse(s: &str) -> Option<SubsMode> {
        match s {
            "" | "observed" => Some(SubsMode::Observed),
            "collapsed" | "none" => Some(SubsMode::Collapsed),
            "all" | "expanded" => Some(SubsMode::All),
            _ => None,
        }
    }
}

/// Most parents one `expand` may name (four times the incident filters' 50 values).
pub const MAX_EXPAND: usize = 200;

/// The matrix's own query options, as every matrix view takes them
/// (`/matrix`, `/matrix.svg`, `/matrix/layer.json`, `/api/v1/matrix`):
/// `subtechniques=observed|collapsed|all`, `expand=AML.T0051,AML.T0043`
/// (parents whose lists are open as well; repeatable) and `ids=1|0` (also
/// `true/false`, `yes/no`, `on/off`). The one parser of these options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MatrixQuery {
    pub subs: SubsMode,
    pub expand: BTreeSet<String>,
    pub show_ids: bool,
}

impl MatrixQuery {
    /// Parses the raw values; a bad one is refused naming its parameter.
    pub fn parse(
        subtechniques: Option<&str>,
        expand: &[String],
        ids: Option<&str>,
    ) -> Result<Self, OptionError> {
        let raw_subs = subtechniques.unwrap_or("");
        let subs = SubsMode::parse(raw_subs.trim()).ok_or_else(|| OptionError {
            field: "subtechniques",
            message: format!(
                "subtechniques: must be observed, collapsed or all, not {}",
                quoted(raw_subs)
            ),
        })?;
        let mut set = BTreeSet::new();
        for id in expand
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if !is_technique_id(id) {
                return Err(OptionError {
                    field: "expand",
                    message: format!(
                        "expand: lists technique IDs such as AML.T0051, not {}",
                        quoted(id)
                    ),
                });
            }
            set.insert(id.to_string());
        }
        if set.len() > MAX_EXPAND {
            return Err(OptionError {
                field: "expand",
                message: "expand: too many technique IDs".to_string(),
            });
        }
        Ok(MatrixQuery {
            subs,
            expand: set,
            show_ids: parse_flag("ids", ids)?,
        })
    }

    /// The matrix view's options: which lists start open, IDs. (`observed`
    /// opens the lists of `expand`, to which the page adds the observed parents.)
    pub fn view_options(&self) -> MatrixOptions {
        MatrixOptions {
            subtechniques: match self.subs {
                SubsMode::All => SubtechniqueMode::All,
                _ if self.expand.is_empty() => SubtechniqueMode::Collapsed,
                _ => SubtechniqueMode::Expanded(self.expand.clone()),
            },
            show_ids: self.show_ids,
        }
    }
}

/// A yes/no parameter's spellings (any case, spaces around allowed).
const FLAG_ON: &[&str] = &["1", "true", "yes", "on"];
const FLAG_OFF: &[&str] = &["0", "false", "no", "off"];

/// A yes/no query parameter: `1/0`, `true/false`, `yes/no`, `on/off`; absent is no.
pub fn parse_flag(field: &'static str, value: Option<&str>) -> Result<bool, OptionError> {
    let value = value
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if value.is_empty() || FLAG_OFF.contains(&value.as_str()) {
        Ok(false)
    } else if FLAG_ON.contains(&value.as_str()) {
        Ok(true)
    } else {
        Err(OptionError {
            field,
            message: format!("{field}: must be 1 or 0"),
        })
    }
}

/// The OpenAPI schema of a [`parse_flag`] parameter: its spellings in any
/// case (a JSON Schema pattern has no case-insensitive flag).
pub fn flag_schema() -> utoipa::openapi::schema::Object {
    let any_case = |word: &&str| -> String {
        word.chars()
            .map(|c| match c {
                c if c.is_ascii_alphabetic() => {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                }
                c => c.to_string(),
            })
            .collect()
    };
    let words: Vec<String> = FLAG_ON.iter().chain(FLAG_OFF).map(any_case).collect();
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!(r"^\s*({})?\s*$", words.join("|"))))
        .build()
}

/// A value quoted for an error message, cut to 40 characters.
pub fn quoted(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    format!("{short:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_schema_spells_what_parse_flag_takes() {
        let schema = serde_json::to_value(flag_schema()).expect("JSON");
        assert_eq!(
            schema["pattern"],
            r"^\s*(1|[tT][rR][uU][eE]|[yY][eE][sS]|[oO][nN]|0|[fF][aA][lL][sS][eE]|[nN][oO]|[oO][fF][fF])?\s*$"
        );
        for word in FLAG_ON.iter().chain(FLAG_OFF) {
            let upper = format!(" {} ", word.to_uppercase());
            assert!(parse_flag("f", Some(&upper)).is_ok(), "{upper}");
        }
    }

    #[test]
    fn query_options_parse_and_round_trip() {
        let parse = |subs: Option<&str>, expand: &[&str], ids: Option<&str>| {
            let expand: Vec<String> = expand.iter().map(|s| s.to_string()).collect();
            MatrixQuery::parse(subs, &expand, ids)
        };
        let none = parse(None, &[], None).expect("empty");
        assert_eq!(none, MatrixQuery::default());
        assert_eq!(none.subs, SubsMode::Observed);
        assert_eq!(none.view_options(), MatrixOptions::default());
        let all = parse(Some("all"), &["AML.T0051"], Some("1")).expect("valid");
        assert_eq!(all.subs, SubsMode::All);
        assert!(all.show_ids);
        let all = all.view_options();
        assert_eq!(all.subtechniques, SubtechniqueMode::All);
        assert_eq!(all.href(), "/matrix?subtechniques=all&ids=1");
        let some = parse(None, &["AML.T0051, AML.T0000", "AML.T0043"], Some("off")).expect("valid");
        assert_eq!(
            some.view_options().href(),
            "/matrix?expand=AML.T0000,AML.T0043,AML.T0051"
        );
        assert_eq!(
            parse(Some("collapsed"), &[""], Some("0")).map(|q| q.view_options()),
            Ok(MatrixOptions::default())
        );
        assert_eq!(
            parse(Some(" none "), &[], None).map(|q| q.subs),
            Ok(SubsMode::Collapsed)
        );
        assert_eq!(MatrixOptions::default().href(), "/matrix");
        assert_eq!(all.with_ids(false).href(), "/matrix?subtechniques=all");
        assert_eq!(
            all.with_subtechniques(SubtechniqueMode::Collapsed).href(),
            "/matrix?ids=1"
        );
        assert_eq!(
            parse(Some("bogus"), &[], None).map_err(|e| e.field),
            Err("subtechniques")
        );
        assert_eq!(
            parse(None, &["AML.TA0002"], None).map_err(|e| e.field),
            Err("expand")
        );
        assert_eq!(
            parse(None, &[], Some("maybe")).map_err(|e| e.field),
            Err("ids")
        );
        let many: Vec<String> = (0..=MAX_EXPAND).map(|i| format!("AML.T{i:04}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(parse(None, &many, None).map_err(|e| e.field), Err("expand"));
        assert_eq!(
            parse_flag("rollup", Some("maybe")).map_err(|e| e.message),
            Err("rollup: must be 1 or 0".to_string())
        );
    }
}
