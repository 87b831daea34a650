//! Markdown of ATLAS descriptions to safe HTML.
//!
//! Upstream text is CommonMark with raw HTML mixed in (inline `<span style=…>`,
//! `<sup>`, `<div>`), and a release file is untrusted input: anyone can hand
//! `atlasview atlas import` a crafted file. So the HTML that pulldown-cmark
//! produces is always passed through ammonia before a template sees it, and
//! [`render`]'s output is the only string a template may mark `|safe`.
//!
//! Policy:
//! - no `<script>`/`<style>` (content dropped), no event handlers, no `style`
//!   attributes (a strict CSP follows), no images (no remote loads from
//!   descriptions; a Markdown image becomes a link to it);
//! - links only to `http`, `https` and `mailto`, or to a root-relative path on
//!   this site (`/techniques/AML.T0005`), never `javascript:`, `data:` or a
//!   protocol-relative `//host`; every link carries `rel="noopener noreferrer"`;
//! - absolute links to `atlas.mitre.org` pages of a technique, tactic,
//!   mitigation or case study become our own relative routes;
//! - headings are shifted down two levels (`#` → `<h3>`) to stay below the
//!   page's own `<h1>`/`<h2>` outline.

use std::borrow::Cow;
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

use super::ids::{IdKind, classify_id};

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::default();
    builder
        .rm_tags(["img", "map", "area"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(UrlRelative::Custom(Box::new(root_relative_only)))
        .attribute_filter(localize_atlas_links)
        .link_rel(Some("noopener noreferrer"))
        // Markdown task lists (`- [x] done`): a checkbox that shows, never one
        // that submits or changes: always a disabled checkbox without a name.
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .strip_comments(true);
    builder
});

/// Renders ATLAS Markdown (with embedded HTML) to sanitized HTML.
pub fn render(md: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut unsafe_html = String::with_capacity(md.len() + md.len() / 2);
    html::push_html(&mut unsafe_html, Adjust::new(Parser::new_ext(md, options)));
    SANITIZER.clean(&unsafe_html).to_string()
}

/// Event adapter: demotes headings and turns images into links.
struct Adjust<'a, I: Iterator<Item = Event<'a>>> {
    inner: I,
    /// Inside an image-turned-link: whether it produced any text yet.
    in_image: Option<bool>,
    pending: Option<Event<'a>>,
}

impl<'a, I: Iterator<Item = Event<'a>>> Adjust<'a, I> {
    fn new(inner: I) -> Self {
        Adjust {
            inner,
            in_image: None,
            pending: None,
        }
    }
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Adjust<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(event) = self.pending.take() {
            return Some(event);
        }
        let event = self.inner.next()?;
        Some(match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => Event::Start(Tag::Heading {
                level: demote(level),
                id,
                classes,
                attrs,
            }),
            Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                self.in_image = Some(false);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Image) => {
                let had_text = self.in_image.take().unwrap_or(true);
                if had_text {
                    Event::End(TagEnd::Link)
                } else {
                    self.pending = Some(Event::End(TagEnd::Link));
                    Event::Text(CowStr::Borrowed("image"))
                }
            }
            other => {
                if let (Some(seen), Event::Text(_) | Event::Code(_)) = (&mut self.in_image, &other)
                {
                    *seen = true;
                }
                other
            }
        })
    }
}

/// Relative URLs: keep root-relative paths and fragments; drop everything
/// else (protocol-relative `//host`, `/\host`, and paths relative to the page,
/// which would resolve differently on every page).
fn root_relative_only(url: &str) -> Option<Cow<'_, str>> {
    let url = url.trim();
    let bytes = url.as_bytes();
    let keep = match bytes.first() {
        Some(b'#') => true,
        Some(b'/') => !matches!(bytes.get(1), Some(b'/' | b'\\')),
        _ => false,
    };
    keep.then_some(Cow::Borrowed(url))
}

/// `href`s pointing at atlas.mitre.org pages we serve ourselves become relative.
fn localize_atlas_links<'u>(
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<Cow<'u, str>> {
    if element == "a"
        && attribute == "href"
        && let Some(local) = local_atlas_path(value)
    {
        return Some(Cow::Owned(local));
    }
    Some(Cow::Borrowed(value))
}

/// `https://atlas.mitre.org/techniques/AML.T0005/` → `/techniques/AML.T0005`.
pub fn local_atlas_path(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = ["https://atlas.mitre.org/", "http://atlas.mitre.org/"]
        .iter()
        .find_map(|prefix| {
            url.get(..prefix.len())
                .filter(|head| head.eq_ignore_ascii_case(prefix))
                .map(|_| &url[prefix.len()..])
        })?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (section, id) = rest.split_once('/')?;
    let kind = classify_id(id)?;
    let fits = match section {
        "techniques" => matches!(kind, IdKind::Technique | IdKind::SubTechnique),
        "tactics" => kind == IdKind::Tactic,
        "mitigations" => kind == IdKind::Mitigation,
        "studies" => kind == IdKind::CaseStudy,
        _ => false,
    };
    fits.then(|| format!("/{section}/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lists_render_as_disabled_checkboxes() {
        let html = render("- [x] Rotate the API keys\n- [ ] Add output filtering");
        assert_eq!(html.matches("<input").count(), 2, "{html}");
        assert_eq!(html.matches("disabled").count(), 2, "{html}");
        assert_eq!(html.matches("checked").count(), 1, "{html}");
        assert!(!html.contains("[ ]") && !html.contains("[x]"), "{html}");
        // Raw inputs in the text become harmless disabled checkboxes.
        let raw = render(
            r#"<input type="text" name="version" value="9" formaction="/x" onfocus="alert(1)">"#,
        );
        assert!(raw.contains(r#"type="checkbox""#), "{raw}");
        assert!(raw.contains("disabled"), "{raw}");
        for bad in ["name=", "value=", "formaction", "onfocus", "text"] {
            assert!(!raw.contains(bad), "{bad} in {raw}");
        }
    }

    fn assert_inert(html: &str) {
        let lower = html.to_ascii_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onload",
            "onclick",
            "javascript:",
            "data:",
            "<img",
            "style=",
        ] {
            assert!(!lower.contains(bad), "{bad:?} survived in {html:?}");
        }
    }

    #[test]
    fn renders_markdown() {
        let html = render("Some **bold** and `code`.\n\n- one\n- two");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<code>code</code>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
    }

    #[test]
    fn script_tags_are_removed_with_their_content() {
        let html =
            render("Hello <script>alert('x')</script> world\n\n<script>\nalert(1)\n</script>");
        assert_inert(&html);
        assert!(!html.contains("alert"), "{html}");
        assert!(html.contains("Hello"), "{html}");
    }

    #[test]
    fn event_handlers_and_images_are_removed() {
        let html =
            render(r#"Look <img src=x onerror="alert(1)"> and <b onclick="steal()">bold</b>"#);
        assert_inert(&html);
        assert!(html.contains("<b>bold</b>"), "{html}");
        let block = render("<div onmouseover=\"alert(1)\"><img src=x onerror=alert(1)></div>");
        assert_inert(&block);
    }

    #[test]
    fn javascript_and_data_links_lose_their_href() {
        for md in [
            "[click](javascript:alert(1))",
            "[click](JavaScript:alert(1))",
            "[click](data:text/html;base64,PHNjcmlwdD4=)",
            r#"<a href="javascript:alert(1)">click</a>"#,
            r#"<a href="  javascript:alert(1)">click</a>"#,
            r#"<a href="jav&#x09;ascript:alert(1)">click</a>"#,
            r#"<a href="data:text/html,<script>alert(1)</script>">click</a>"#,
            r#"<a href="//evil.example/x">click</a>"#,
            r#"<a href="/\evil.example/x">click</a>"#,
        ] {
            let html = render(md);
            assert_inert(&html);
            assert!(!html.contains("href"), "{md:?} kept a link: {html}");
            assert!(html.contains("click"), "{md:?} lost its text: {html}");
        }
    }

    #[test]
    fn styles_are_stripped() {
        let html = render(r#"<span style="color: red; background: url(javascript:x)">red</span>"#);
        assert_inert(&html);
        assert!(html.contains("red"), "{html}");
    }

    #[test]
    fn atlas_relative_links_are_kept() {
        for path in [
            "/techniques/AML.T0005",
            "/techniques/AML.T0000.001",
            "/tactics/AML.TA0002",
            "/mitigations/AML.M0000",
            "/studies/AML.CS0000",
        ] {
            let html = render(&format!("See [this]({path})."));
            assert!(
                html.contains(&format!(
                    r#"<a href="{path}" rel="noopener noreferrer">this</a>"#
                )),
                "{path}: {html}"
            );
        }
    }

    #[test]
    fn external_links_get_rel_noopener() {
        let html = render("[paper](https://arxiv.org/abs/1802.03162)");
        assert!(
            html.contains(
                r#"<a href="https://arxiv.org/abs/1802.03162" rel="noopener noreferrer">paper</a>"#
            ),
            "{html}"
        );
        let raw = render(r#"<a href="https://example.org" rel="opener" target="_blank">x</a>"#);
        assert!(raw.contains(r#"rel="noopener noreferrer""#), "{raw}");
        assert!(!raw.contains("opener\""), "{raw}");
        assert!(!raw.contains("target"), "{raw}");
    }

    #[test]
    fn atlas_site_links_become_local() {
        let html = render(
            "[x](https://atlas.mitre.org/techniques/AML.T0051.001/) [y](https://atlas.mitre.org/resources/info)",
        );
        assert!(
            html.contains(r#"href="/techniques/AML.T0051.001""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="https://atlas.mitre.org/resources/info""#),
            "{html}"
        );
        assert_eq!(
            local_atlas_path("https://atlas.mitre.org/tactics/AML.TA0002"),
            Some("/tactics/AML.TA0002".into())
        );
        assert_eq!(
            local_atlas_path("https://atlas.mitre.org/tactics/AML.T0002"),
            None
        );
        assert_eq!(
            local_atlas_path("https://evil.example/techniques/AML.T0002"),
            None
        );
    }

    #[test]
    fn markdown_images_become_links() {
        let html = render("![diagram](https://example.org/a.png) ![](https://example.org/b.png)");
        assert_inert(&html);
        assert!(
            html.contains(
                r#"<a href="https://example.org/a.png" rel="noopener noreferrer">diagram</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<a href="https://example.org/b.png" rel="noopener noreferrer">image</a>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn headings_are_demoted() {
        let html = render("# Top\n\n## Next\n\n#### Deep");
        assert!(html.contains("<h3>Top</h3>"), "{html}");
        assert!(html.contains("<h4>Next</h4>"), "{html}");
        assert!(html.contains("<h6>Deep</h6>"), "{html}");
        assert!(!html.contains("<h1") && !html.contains("<h2"), "{html}");
    }

    #[test]
    fn text_is_escaped() {
        let html = render("a < b && c > d \"quoted\"");
        assert!(html.contains("a &lt; b &amp;&amp; c &gt; d"), "{html}");
    }

    #[test]
    fn nested_svg_and_iframe_tricks_are_inert() {
        let html = render(
            r#"<svg><iframe><a title="</iframe><img src onerror=alert(1)>">t</a></iframe></svg><iframe src="https://evil.example"></iframe><object data="x"></object><form action="/x"><input></form>"#,
        );
        assert_inert(&html);
        for tag in ["<svg", "<iframe", "<object", "<form"] {
            assert!(!html.contains(tag), "{tag} survived: {html}");
        }
        // An input survives only as a task list's box: a disabled checkbox
        // with no name, value or handler (it can neither submit nor change).
        for tag in html.split("<input").skip(1) {
            let mut attrs: Vec<&str> = tag[..tag.find('>').unwrap_or(tag.len())]
                .split_whitespace()
                .collect();
            attrs.sort_unstable();
            assert_eq!(attrs, [r#"disabled="""#, r#"type="checkbox""#], "{html}");
        }
    }
}
