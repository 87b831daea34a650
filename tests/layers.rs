//! The layering of `src`: data flows one way (atlas → domain → store →
//! service → render → export → web, then `app` wires them), and no two
//! files (or sub-folders) of one module import each other, directly or
//! round a loop.
//!
//! The check reads the source as text: every `use` tree and every inline
//! path (`crate::a::b`, `super::x`, `self::x`, a child module's name) of the
//! code outside `#[cfg(test)] mod tests`, with comments and string literals
//! removed. A path is resolved to the file that defines the item; a name a
//! module only re-exports (`pub use child::Name`) counts as the child's, so
//! a `mod.rs` that only re-exports is no link in a loop.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// The layers, lowest first: a file may use its own layer and those below.
const LAYERS: &[&str] = &[
    "atlas", "domain", "store", "service", "render", "export", "web", "app",
];

/// Modules whose internal loops are reported but do not fail the check:
/// `src/web` is being re-laid out (issue #11: `routes.rs`, `pages/`,
/// `extract/`, `middleware/`), which removes them.
// `store`: the files of the incident split (issue #14) still use each other
// through `super` (mod ↔ incidents ↔ matrix ↔ search); left for issue #11.
const PENDING: &[&str] = &[];

type ModPath = Vec<String>;

struct Source {
    /// The module the file defines.
    module: ModPath,
    /// The code without tests, comments and string literals.
    code: String,
}

fn read_tree(dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            out.push((path.display().to_string(), text));
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` define `a::b`; `lib.rs` the crate.
fn module_of(relative: &str) -> ModPath {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] {
        parts.clear();
    }
    parts
}

/// The code a build of the library sees, without test modules, comments,
/// character and string literals (which may hold `::` or braces).
fn strip(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !ident_before(&chars, i) {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{…}'
            let mut j = i + 2;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Expands a `use` tree (`a::{b, c::{d, e as f}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// The `use` declarations of `code`: (public re-export, path).
fn uses(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = find_word(rest, "use") {
        let before = rest[..i].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let after = &rest[i + 3..];
        let Some(end) = after.find(';') else { break };
        for path in expand(&after[..end]) {
            out.push((public, path));
        }
        rest = &after[end..];
    }
    out
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word).map(|i| i + from) {
        let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let after = bytes.get(i + word.len()).copied().unwrap_or(b' ');
        if before_ok && after.is_ascii_whitespace() {
            return Some(i);
        }
        from = i + word.len();
    }
    None
}

/// Every `a::b::c` path outside `use` declarations.
fn inline_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if (chars[i].is_alphabetic() || chars[i] == '_') && !ident_before(&chars, i) {
            let start = i;
            let mut j = i;
            loop {
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                if chars.get(j) == Some(&':')
                    && chars.get(j + 1) == Some(&':')
                    && chars
                        .get(j + 2)
                        .is_some_and(|c| c.is_alphabetic() || *c == '_')
                {
                    j += 2;
                } else {
                    break;
                }
            }
            let path: String = chars[start..j].iter().collect();
            // `a::b::{c, d}` and `a::b::*` are use trees (read by `uses`),
            // not paths naming `a::b` itself.
            let tree = chars.get(j) == Some(&':')
                && chars.get(j + 1) == Some(&':')
                && matches!(chars.get(j + 2), Some('{' | '*'));
            // `pub(in crate::a)` limits visibility; it uses nothing.
            let visibility = chars[..start]
                .iter()
                .rev()
                .collect::<String>()
                .starts_with(" ni(");
            if path.contains("::") && !tree && !visibility && (start < 1 || chars[start - 1] != ':')
            {
                out.push(path);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Child modules declared in `code` (`mod x;`).
fn children(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub(super) "))
                .unwrap_or(l);
            let name = l.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_string())
        })
        .collect()
}

struct Crate {
    files: BTreeMap<ModPath, Source>,
    /// Per module: names it re-exports → the module they come from.
    reexports: HashMap<ModPath, HashMap<String, ModPath>>,
    /// Per module: modules it glob re-exports (`pub use child::*`).
    globs: HashMap<ModPath, Vec<ModPath>>,
}

impl Crate {
    fn read() -> Crate {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut raw = Vec::new();
        read_tree(&src, &mut raw);
        let prefix = format!("{}/", src.display());
        let mut files = BTreeMap::new();
        for (path, text) in raw {
            let relative = path.strip_prefix(&prefix).unwrap_or(&path).to_string();
            if relative == "main.rs" || relative == "cli.rs" {
                continue; // the binary (main.rs, cli.rs): a crate of its own, on top
            }
            let module = module_of(&relative);
            files.insert(
                module.clone(),
                Source {
                    module,
                    code: strip(&text),
                },
            );
        }
        let mut krate = Crate {
            files,
            reexports: HashMap::new(),
            globs: HashMap::new(),
        };
        let modules: Vec<ModPath> = krate.files.keys().cloned().collect();
        for m in modules {
            let code = krate.files[&m].code.clone();
            let kids = children(&code);
            for (public, path) in uses(&code) {
                if !public {
                    continue;
                }
                let Some(segments) = absolute(&m, &kids, &path) else {
                    continue;
                };
                let (name, from) = match segments.split_last() {
                    Some((last, from)) => (last.clone(), from.to_vec()),
                    None => continue,
                };
                if name == "*" {
                    krate.globs.entry(m.clone()).or_default().push(from);
                } else if krate.files.contains_key(&from) {
                    let name = name.split(" as ").next().unwrap_or(&name).to_string();
                    krate
                        .reexports
                        .entry(m.clone())
                        .or_default()
                        .insert(name, from);
                }
            }
        }
        krate
    }

    /// The file (module) that defines what `segments` names.
    fn resolve(&self, segments: &[String], depth: usize) -> Option<ModPath> {
        let n = (1..=segments.len())
            .rev()
            .find(|&n| self.files.contains_key(&segments[..n]))?;
        let module = segments[..n].to_vec();
        let Some(item) = segments.get(n) else {
            return Some(module);
        };
        if depth < 8 {
            if let Some(from) = self.reexports.get(&module).and_then(|r| r.get(item)) {
                let mut next = from.clone();
                next.extend(segments[n..].iter().cloned());
                return self.resolve(&next, depth + 1);
            }
            for from in self.globs.get(&module).into_iter().flatten() {
                let mut next = from.clone();
                next.extend(segments[n..].iter().cloned());
                if let Some(found) = self.resolve(&next, depth + 1)
                    && found != *from
                {
                    return Some(found);
                }
            }
        }
        Some(module)
    }

    /// (from module, to module) for every path a file names.
    fn edges(&self) -> Vec<(ModPath, ModPath)> {
        let mut out = Vec::new();
        for source in self.files.values() {
            let kids = children(&source.code);
            let paths = uses(&source.code)
                .into_iter()
                .map(|(_, p)| p)
                .chain(inline_paths(&source.code));
            for path in paths {
                let Some(segments) = absolute(&source.module, &kids, &path) else {
                    continue;
                };
                if let Some(target) = self.resolve(&segments, 0)
                    && target != source.module
                {
                    out.push((source.module.clone(), target));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// `path` as written in module `here` made absolute; `None` for other crates.
fn absolute(here: &ModPath, kids: &BTreeSet<String>, path: &str) -> Option<Vec<String>> {
    let mut segments: Vec<String> = path
        .split("::")
        .map(|s| s.split(" as ").next().unwrap_or(s).to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if segments.last().is_some_and(|s| s == "self") {
        segments.pop();
    }
    let first = segments.first()?.clone();
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => here.clone(),
        "super" => here.clone(),
        name if kids.contains(name) => {
            let mut b = here.clone();
            b.push(name.to_string());
            segments.remove(0);
            b.extend(segments);
            return Some(b);
        }
        _ => return None,
    };
    let mut rest = segments.as_slice();
    if first == "crate" || first == "self" {
        rest = &rest[1..];
    }
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// The loops of a directed graph (strongly connected parts of two or more).
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Kosaraju: order by finish time, then walk the reversed graph.
    let nodes: BTreeSet<&String> = graph.keys().chain(graph.values().flatten()).collect();
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for &start in &nodes {
        if seen.contains(start) {
            continue;
        }
        let mut stack = vec![(start, false)];
        while let Some((n, done)) = stack.pop() {
            if done {
                order.push(n);
                continue;
            }
            if !seen.insert(n) {
                continue;
            }
            stack.push((n, true));
            for next in graph.get(n).into_iter().flatten() {
                if !seen.contains(next) {
                    stack.push((next, false));
                }
            }
        }
    }
    let mut reversed: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
    for (from, tos) in graph {
        for to in tos {
            reversed.entry(to).or_default().push(from);
        }
    }
    let mut assigned = BTreeSet::new();
    let mut out = Vec::new();
    for &n in order.iter().rev() {
        if assigned.contains(n) {
            continue;
        }
        let mut part = Vec::new();
        let mut stack = vec![n];
        while let Some(m) = stack.pop() {
            if !assigned.insert(m) {
                continue;
            }
            part.push(m.clone());
            stack.extend(reversed.get(m).into_iter().flatten().copied());
        }
        if part.len() > 1 {
            part.sort();
            out.push(part);
        }
    }
    out
}

/// What is wrong with the layering, in words (empty when nothing is), and
/// the loops inside modules listed in [`PENDING`].
fn problems(krate: &Crate) -> (Vec<String>, Vec<String>) {
    let edges = krate.edges();
    let rank = |m: &ModPath| m.first().and_then(|t| LAYERS.iter().position(|l| l == t));
    let mut wrong = Vec::new();
    for (from, to) in &edges {
        if let (Some(a), Some(b)) = (rank(from), rank(to))
            && b > a
        {
            wrong.push(format!(
                "{} ({}) uses {} ({}), a higher layer",
                name(from),
                LAYERS[a],
                name(to),
                LAYERS[b]
            ));
        }
    }
    let mut pending = Vec::new();
    let levels: BTreeSet<ModPath> = krate
        .files
        .keys()
        .flat_map(|m| (0..m.len()).map(|n| m[..n].to_vec()))
        .collect();
    for level in levels {
        let part = |m: &ModPath| -> Option<String> {
            if !m.starts_with(&level) {
                return None;
            }
            Some(
                m.get(level.len())
                    .cloned()
                    .unwrap_or_else(|| "(mod)".into()),
            )
        };
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut why: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for (from, to) in &edges {
            if let (Some(a), Some(b)) = (part(from), part(to))
                && a != b
            {
                graph.entry(a.clone()).or_default().insert(b.clone());
                why.entry((a, b)).or_default().insert(name(from));
            }
        }
        for l in loops(&graph) {
            let links: Vec<String> = why
                .iter()
                .filter(|((a, b), _)| l.contains(a) && l.contains(b))
                .map(|((a, b), files)| {
                    format!(
                        "{a} → {b} ({})",
                        files.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            let text = format!("a loop in {}: {}", name(&level), links.join("; "));
            if level.first().is_some_and(|t| PENDING.contains(&t.as_str())) {
                pending.push(text);
            } else {
                wrong.push(text);
            }
        }
    }
    (wrong, pending)
}

#[test]
fn no_layer_uses_a_higher_one_and_no_module_has_a_loop() {
    let krate = Crate::read();
    assert!(krate.files.len() > 50, "read {} files", krate.files.len());
    let (wrong, pending) = problems(&krate);
    for p in &pending {
        eprintln!("pending (issue #11 web move): {p}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The checker itself: it sees a lower layer using a higher one, a loop
/// between two files, and a loop through a module root that defines what a
/// child uses; a root that only re-exports is no link.
#[test]
fn the_checker_finds_what_it_should() {
    let krate = |files: &[(&str, &str)]| {
        let mut k = Crate {
            files: BTreeMap::new(),
            reexports: HashMap::new(),
            globs: HashMap::new(),
        };
        for (path, code) in files {
            let module = module_of(path);
            k.files.insert(
                module.clone(),
                Source {
                    module,
                    code: strip(code),
                },
            );
        }
        let modules: Vec<ModPath> = k.files.keys().cloned().collect();
        for m in modules {
            let code = k.files[&m].code.clone();
            let kids = children(&code);
            for (public, path) in uses(&code) {
                let Some(seg) = absolute(&m, &kids, &path).filter(|_| public) else {
                    continue;
                };
                let (last, from) = seg.split_last().expect("path");
                if last == "*" {
                    k.globs.entry(m.clone()).or_default().push(from.to_vec());
                } else {
                    k.reexports
                        .entry(m.clone())
                        .or_default()
                        .insert(last.clone(), from.to_vec());
                }
            }
        }
        k
    };
    let layered = krate(&[
        ("lib.rs", "pub mod atlas;\npub mod store;"),
        ("atlas/mod.rs", "pub fn f() { crate::store::g(); }"),
        ("store/mod.rs", "pub fn g() {}"),
    ]);
    let (wrong, _) = problems(&layered);
    assert!(
        wrong
            .iter()
            .any(|w| w.contains("atlas (atlas) uses store (store)")),
        "{wrong:?}"
    );
    let looped = krate(&[
        ("lib.rs", "pub mod render;"),
        ("render/mod.rs", "pub mod a;\npub mod b;"),
        ("render/a.rs", "use super::b::B;\npub struct A;"),
        (
            "render/b.rs",
            "// use super::a::A; is only a comment\npub struct B;\nfn f() { let _ = \"super::a::A\"; super::a::A; }",
        ),
    ]);
    let (wrong, _) = problems(&looped);
    assert!(
        wrong.iter().any(|w| w.contains("a loop in render: a → b")),
        "{wrong:?}"
    );
    let facade = |root: &str| {
        krate(&[
            ("lib.rs", "pub mod render;"),
            ("render/mod.rs", "pub mod story;"),
            ("render/story/mod.rs", root),
            (
                "render/story/layout.rs",
                "use super::Label;\npub struct Layout;",
            ),
            ("render/story/text.rs", "pub struct Label;"),
        ])
    };
    let (wrong, _) = problems(&facade(
        "mod layout;\nmod text;\npub use layout::Layout;\npub use text::Label;",
    ));
    assert!(wrong.is_empty(), "{wrong:?}");
    let grouped = krate(&[
        ("lib.rs", "pub mod web;"),
        (
            "web/mod.rs",
            "pub mod pages;\npub mod state;\npub use state::AppState;\npub fn router() { pages::page(); }",
        ),
        (
            "web/pages.rs",
            "use crate::web::{AppState};\npub fn page() {}",
        ),
        ("web/state.rs", "pub struct AppState;"),
    ]);
    let (wrong, _) = problems(&grouped);
    assert!(wrong.is_empty(), "{wrong:?}");
    let (wrong, _) = problems(&facade(
        "mod layout;\nmod text;\npub use layout::Layout;\npub struct Label;",
    ));
    assert!(
        wrong
            .iter()
            .any(|w| w.contains("a loop in render::story: (mod) → layout")),
        "{wrong:?}"
    );
}

/// The files of `src/web`: (path relative to `src`, the text before any
/// `#[cfg(test)] mod tests`).
fn web_files() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut raw = Vec::new();
    read_tree(&src.join("web"), &mut raw);
    let prefix = format!("{}/", src.display());
    raw.into_iter()
        .map(|(path, text)| {
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            (
                path.strip_prefix(&prefix).unwrap_or(&path).to_string(),
                text,
            )
        })
        .collect()
}

/// Every `store.method` in `code` (a `Store` called directly), with its line.
fn store_calls(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("store").map(|i| i + from) {
        from = i + "store".len();
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = code[from..].trim_start();
        let Some(after_dot) = rest.strip_prefix('.') else {
            continue;
        };
        let method: String = after_dot
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !method.is_empty() {
            out.push((code[..i].matches('\n').count() + 1, method));
        }
    }
    out
}

/// The web layer reads and writes through `service`: no `Store` method is
/// called in `src/web` (passing `&state.store` to a service function is how).
#[test]
fn the_web_layer_calls_no_store_method() {
    let mut calls = Vec::new();
    for (path, text) in web_files() {
        for (line, method) in store_calls(&strip(&text)) {
            calls.push(format!("{path} (about line {line}): store.{method}"));
        }
    }
    assert!(
        calls.is_empty(),
        "call a service function instead:\n{}",
        calls.join("\n")
    );
}

/// `(name, lines)` of every function in `text` longer than `limit` lines,
/// counted from its `fn` line to its closing brace; `only_async` keeps the
/// handlers (and middleware), else the others.
fn long_functions(text: &str, limit: usize, only_async: bool) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let rest = ["pub(crate) ", "pub(super) ", "pub "]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p))
            .unwrap_or(trimmed);
        let (is_async, rest) = match rest.strip_prefix("async ") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let Some(name) = rest.strip_prefix("fn ") else {
            continue;
        };
        if is_async != only_async || line.trim_end().ends_with(';') {
            continue;
        }
        let name: String = name
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        let end = if line.trim_end().ends_with('}') {
            n
        } else {
            (n + 1..lines.len())
                .find(|&k| lines[k].trim_end() == close)
                .unwrap_or(lines.len() - 1)
        };
        if end - n + 1 > limit {
            out.push((name, end - n + 1));
        }
    }
    out
}

/// Handlers are thin (parse, call one service or render function, answer):
/// no `async fn` in `src/web` is over 40 lines.
#[test]
fn no_handler_in_the_web_layer_is_over_40_lines() {
    let mut long = Vec::new();
    for (path, text) in web_files() {
        for (name, n) in long_functions(&text, 40, true) {
            long.push(format!("{path}: {name} has {n} lines"));
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn the_length_checks_see_what_they_should() {
    let code = "fn a() {\n    let x = state\n        .store\n        .list();\n}\n\
                async fn b(store: &Store) {\n    g(&state.store).await;\n    store.ping();\n}\n";
    let methods: Vec<String> = store_calls(code).into_iter().map(|(_, m)| m).collect();
    assert_eq!(methods, ["list", "ping"]);
    let long = long_functions(code, 3, true);
    assert_eq!(long, [("b".to_string(), 4)]);
    assert_eq!(long_functions(code, 3, false), [("a".to_string(), 5)]);
    assert!(long_functions(code, 5, false).is_empty());
}

/// View models are built in `render`: no function of `src/web/pages` that
/// is not a handler (`async`) is over 30 lines — a longer one is building
/// something a template shows, and belongs in `src/render/<area>`. Route
/// tables (`routes`) and request parsers (`parse_…`, `to_query`: HTTP input
/// to a service's input) are the web layer's own.
#[test]
fn no_view_model_builder_in_the_web_layer_is_over_30_lines() {
    let mut long = Vec::new();
    for (path, text) in web_files() {
        if !path.starts_with("web/pages/") {
            continue;
        }
        for (name, lines) in long_functions(&text, 30, false) {
            let web_own = name == "routes" || name == "to_query" || name.starts_with("parse");
            if !web_own {
                long.push(format!("{path}: {name} ({lines} lines)"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "move these builders to src/render: {long:?}"
    );
}

/// One concept a file: no source file is over 800 lines (unit tests kept
/// in a `tests.rs` of their own do not count).
#[test]
fn no_source_file_is_over_800_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&src, &mut files);
    assert!(files.len() > 50, "read {} files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter(|(path, _)| !path.ends_with("/tests.rs"))
        .filter_map(|(path, text)| {
            let n = text.lines().count();
            (n > 800).then(|| format!("{path}: {n} lines"))
        })
        .collect();
    assert!(long.is_empty(), "split by concept:\n{}", long.join("\n"));
}
