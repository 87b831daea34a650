//! The team's own actions from its retrospectives, for the board: each item
//! of the "Actions" notes' Markdown list is one decision, with its owner
//! (`@name` or `owner: name`) and its status (a task list's `[x]` is done,
//! `[ ]` is open, a plain item is decided with no status yet). Pure.

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStatus {
    Open,
    Done,
    /// A plain list item: decided, no progress recorded.
    Decided,
}

impl ActionStatus {
    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::Open => "Open",
            ActionStatus::Done => "Done",
            ActionStatus::Decided => "Decided",
        }
    }

    /// CSS class (`act-open`, …).
    pub fn class(self) -> &'static str {
        match self {
            ActionStatus::Open => "act-open",
            ActionStatus::Done => "act-done",
            ActionStatus::Decided => "act-decided",
        }
    }
}

/// One action as written in a retrospective.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub text: String,
    pub owner: Option<String>,
    pub status: ActionStatus,
}

/// Longest action text kept, in characters.
const TEXT_MAX: usize = 140;

/// The list items of an "Actions" note, in order (other lines are ignored).
pub fn parse(markdown: &str) -> Vec<Action> {
    markdown.lines().filter_map(item).collect()
}

fn item(line: &str) -> Option<Action> {
    let rest = bullet(line.trim_end())?;
    let (status, rest) = match rest.get(..3) {
        Some("[ ]") => (ActionStatus::Open, &rest[3..]),
        Some("[x]" | "[X]") => (ActionStatus::Done, &rest[3..]),
        _ => (ActionStatus::Decided, rest),
    };
    let (text, owner) = owner_of(rest);
    let text: String = text.replace(['*', '`', '_'], "");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    Some(Action {
        text: shorten(&text),
        owner,
        status,
    })
}

/// The text after a list marker (`- `, `* `, `+ `, `1. `, `1) `).
fn bullet(line: &str) -> Option<&str> {
    let line = line.trim_start();
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest.trim_start());
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &line[digits..];
    rest.strip_prefix(". ")
        .or_else(|| rest.strip_prefix(") "))
        .map(str::trim_start)
}

/// Takes the owner out of the text: the first `@name`, or `owner: name`.
fn owner_of(text: &str) -> (String, Option<String>) {
    let lower = text.to_ascii_lowercase();
    if let Some(at) = lower.find("owner:") {
        let after = text[at + 6..].trim_start();
        let name: String = after
            .chars()
            .take_while(|c| !matches!(c, ')' | ';' | ',' | ']'))
            .collect();
        let name = name.trim().trim_end_matches('.').to_string();
        let rest = text[..at]
            .trim_end()
            .trim_end_matches(['(', '[', '—', '-', ',', ';'])
            .trim_end()
            .to_string();
        if !name.is_empty() {
            return (rest, Some(name));
        }
    }
    let mut owner = None;
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| {
            let name = w
                .trim_start_matches('@')
                .trim_end_matches(['.', ',', ';', ')']);
            if owner.is_none() && w.starts_with('@') && !name.is_empty() {
                owner = Some(name.to_string());
                return false;
            }
            true
        })
        .collect();
    (words.join(" "), owner)
}

fn shorten(text: &str) -> String {
    crate::domain::excerpt::shorten(text, TEXT_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_become_actions_with_owner_and_status() {
        let note = "We agreed:\n\n- [x] Rotate the API keys @sam.soc\n- [ ] Add **output** filtering (owner: Alice Chen)\n* Review vendor contracts\n2. [ ] Red-team the new model, owner: bob\n\nNot an item\n- [ ] ";
        let got = parse(note);
        assert_eq!(
            got,
            [
                Action {
                    text: "Rotate the API keys".into(),
                    owner: Some("sam.soc".into()),
                    status: ActionStatus::Done,
                },
                Action {
                    text: "Add output filtering".into(),
                    owner: Some("Alice Chen".into()),
                    status: ActionStatus::Open,
                },
                Action {
                    text: "Review vendor contracts".into(),
                    owner: None,
                    status: ActionStatus::Decided,
                },
                Action {
                    text: "Red-team the new model".into(),
                    owner: Some("bob".into()),
                    status: ActionStatus::Open,
                },
            ]
        );
        assert!(parse("Just a paragraph.").is_empty());
        let long = format!("- {}", "word ".repeat(60));
        assert_eq!(parse(&long)[0].text.chars().count(), TEXT_MAX);
    }
}
