//! Hostile strings in every text field of an incident and its steps, opened in
//! a real browser on every page that shows them: no script runs, no element
//! or attribute of ours appears, and the plain-text fields read literally.
//!
//! The browser ignores the Content-Security-Policy here (DevTools
//! `Page.setBypassCSP`), so this proves the escaping and the Markdown
//! sanitising on their own; `csp.rs` proves the policy behind them.

use serde_json::{Value, json};

use super::Browser;
use crate::support::{PASSWORD, TestApp, file, shared_atlas};

/// What a page must show of the incident's text, literally.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Shows {
    /// Every plain-text field in the visible text, and the title in the tab.
    Everything,
    /// The title in the visible text.
    Title,
    /// The title somewhere in the document: text, a form field or an attribute.
    TitleSomewhere,
    /// The title's first [`START`] characters somewhere (tooltips shorten titles).
    TitleStart,
}
use Shows::*;

/// How much of the title a shortened mention must keep.
const START: usize = 30;

/// Every page that shows the hostile incident. Adding a page is one line.
/// `{id}`: the incident; `{step}`: its first step; `{q}` and `{tag}`: a
/// hostile search and a hostile tag (URL-encoded), reflected by the page.
pub(super) const PAGES: &[(&str, Shows)] = &[
    ("/incidents/{id}", Everything),
    ("/incidents", Title),
    ("/incidents?q={q}", Title),
    ("/incidents?tag={tag}", Title),
    ("/techniques/AML.T0051", Title),
    ("/techniques/AML.T0093", Title),
    ("/incidents/{id}/edit", TitleSomewhere),
    ("/incidents/{id}/steps/new", TitleSomewhere),
    ("/incidents/{id}/steps/{step}/edit", TitleSomewhere),
    ("/incidents/{id}/delete", Title),
    ("/matrix", TitleStart),
    ("/matrix?incident={id}", TitleStart),
    ("/matrix?q={q}", TitleStart),
    ("/matrix?tag={tag}", TitleStart),
    ("/incidents/{id}/matrix.svg?inline=1", TitleSomewhere),
    ("/incidents/{id}/story", Title),
    ("/incidents/{id}/story.svg?inline=1", TitleSomewhere),
    ("/?period=all", Title),
    ("/briefing?period=all", TitleSomewhere),
    ("/incidents/{id}/retrospective", Title),
    // Issue #16: the owner's lists (the hostile incident is owned by the
    // admin, with a hostile comment and task on it).
    ("/incidents?assigned=mine", Title),
    ("/tasks", TitleSomewhere),
    ("/observables?kind=file-name&value={obs}", Title),
    // Part 5: a file with a hostile name on the first step; `{att}` is it.
    ("/incidents/{id}/attachments/{att}/remove", Title),
    // The edit page of the hostile task; `{task}` is it.
    ("/incidents/{id}/tasks/{task}/edit", Title),
    // The admin's notifications (another analyst commented on it).
    ("/notifications", Title),
];

/// `<script>` that would set the flag to `who`.
fn script(who: &str) -> String {
    format!("<script>window.__pwned='{who}'</script>")
}

/// An image whose error handler would set the flag.
fn img(who: &str) -> String {
    format!(r#"<img src=x onerror="window.__pwned='{who}'">"#)
}

/// Breaks out of a double-quoted attribute into an SVG with a load handler.
fn svg(who: &str) -> String {
    format!(r#""><svg onload="window.__pwned='{who}'">"#)
}

/// Breaks out of a single-quoted attribute into a focus handler.
fn quote(who: &str) -> String {
    format!("' autofocus onfocus='window.__pwned=\"{who}\"' x='")
}

/// A one-line field (≤ 200 characters) carrying all four.
fn line(who: &str) -> String {
    let text = format!(
        "Pwned {} {} {} {}",
        script(who),
        img(who),
        svg(who),
        quote(who)
    );
    assert!(text.chars().count() <= 200, "{who}: {} chars", text.len());
    text
}

/// Markdown with raw HTML and hostile links: all of it must be sanitised.
/// The last line leaves a `<style>` open, which (as in a browser) swallows
/// whatever follows it, so it comes last.
fn markdown(who: &str) -> String {
    format!(
        r#"Markdown of {who} with **bold** text.

Inline code stays literal: `{code}`

[markdown javascript link](javascript:window.__pwned='{who}:md')
[markdown data link](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0xPC9zY3JpcHQ+)
![markdown image](javascript:window.__pwned='{who}:mdimg')
<javascript:window.__pwned='{who}:autolink'>
[reference link][evil]

[evil]: javascript:window.__pwned='{who}:reflink'

{script}
{img}
{svg}
<iframe srcdoc="<script>parent.__pwned='{who}:iframe'</script>"></iframe>
<a href="javascript:window.__pwned='{who}:a'">raw javascript link</a>
<a href=" JaVaScRiPt:window.__pwned='{who}:a2'">spaced link</a>
<details open ontoggle="window.__pwned='{who}:details'"><summary>open me</summary>inside</details>
<input autofocus onfocus="window.__pwned='{who}:focus'">
<object data="javascript:window.__pwned='{who}:object'"></object>
<embed src="javascript:window.__pwned='{who}:embed'">
<form action="javascript:window.__pwned='{who}:form'"><button formaction="javascript:window.__pwned='{who}:button'">go</button></form>
<meta http-equiv="refresh" content="0;url=javascript:window.__pwned='{who}:meta'">
<base href="javascript:/">
<style>body {{ display: none }}</style>
<div style="display:none" onclick="window.__pwned='{who}:div'">styled</div>
<svg><a xlink:href="javascript:window.__pwned='{who}:xlink'"><text>svg link</text></a></svg>
<noscript><p title="</noscript><img src=x onerror=window.__pwned='{who}:noscript'>"></noscript>

Text after the raw HTML.

<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned='{who}:mxss'">
"#,
        script = script(&format!("{who}:script")),
        img = img(&format!("{who}:img")),
        svg = svg(&format!("{who}:svg")),
        code = script(&format!("{who}:code")),
    )
}

/// Plain multi-line text (shown preformatted): every line must read literally.
fn evidence(who: &str) -> String {
    format!(
        "</pre>{}\n{}\n{}\n{}\n</textarea>{}",
        script(&format!("{who}:script")),
        img(&format!("{who}:img")),
        svg(&format!("{who}:svg")),
        quote(&format!("{who}:quote")),
        script(&format!("{who}:textarea")),
    )
}

/// Tags: at most 40 characters, no commas, stored lower-case.
const TAGS: &[&str] = &[
    "<script>window.__pwned='tag'</script>",
    "<img src=x onerror=window.__pwned='tag'>",
    "\"><svg onload=window.__pwned='tag'>",
    "javascript:window.__pwned='tag'",
];

fn references() -> Value {
    json!([
        {"title": format!("{} report", script("ref-title")), "url": "javascript:window.__pwned='ref-url'"},
        {"title": img("ref-title2"), "url": format!("https://example.com/{}", svg("ref-url2"))},
        {"title": "tab in the scheme", "url": "java\tscript:window.__pwned='ref-url3'"},
        {"title": "data URL", "url": "data:text/html,<script>parent.__pwned='ref-url4'</script>"},
        {"title": "", "url": "JAVASCRIPT:window.__pwned='ref-url5'"},
    ])
}

/// The literal texts the incident page must show (besides the title).
fn plain_texts(incident: &Value) -> Vec<String> {
    let mut texts = vec![
        incident["target"].as_str().unwrap().to_string(),
        incident["actor"].as_str().unwrap().to_string(),
        incident["reporter"].as_str().unwrap().to_string(),
        // A code span in the Markdown summary and the text after its raw HTML.
        script("summary:code"),
        "Text after the raw HTML.".to_string(),
    ];
    texts.extend(TAGS.iter().map(|t| t.to_lowercase()));
    for r in incident["references"].as_array().unwrap() {
        let title = r["title"].as_str().unwrap();
        if !title.is_empty() {
            texts.push(title.to_string());
        }
        let url = r["url"].as_str().unwrap();
        if !url.starts_with("https://") {
            // Not a link, so shown as text.
            texts.push(url.to_string());
        }
    }
    for step in incident["steps"].as_array().unwrap() {
        texts.extend(step["evidence"].as_str().unwrap().lines().map(String::from));
    }
    texts
}

/// Collapses whitespace runs (the visible text is laid out) and case (CSS
/// may transform it).
fn normal(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Attaches an HTML file with a hostile name (`"` sent as `%22`, as
/// browsers send it) to `step`; its ID and its name as stored.
async fn hostile_attachment(app: &TestApp, id: &str, step: &str) -> (String, String) {
    let name = line("file").replace('"', "%22");
    let content = script("file-content");
    let a = app
        .attach(id, Some(step), file(&name, "text/html", content.as_bytes()))
        .await;
    // Kept as given but for its "folders" (the `/` of `</script>`).
    let kept = atlasview::domain::attachment::clean_file_name(&name);
    assert_eq!(a["file_name"], kept.as_str());
    assert!(kept.contains("<svg onload"), "{kept}");
    (a["id"].as_str().expect("id").to_string(), kept)
}

/// After two frames and a moment (event handlers of broken images, `toggle`
/// and `focus` fire asynchronously), what the page holds that it must not.
const INSPECT: &str = r#"
const done = arguments[arguments.length - 1];
const settle = (f) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(f, 150)));
settle(() => { try {
  // An HTML page, or a standalone SVG document.
  const root = document.body || document.documentElement;
  const all = [...document.querySelectorAll('*')];
  const describe = (el, a) => el.tagName.toLowerCase() + '[' + a.name + '="' + a.value.slice(0, 80) + '"]';
  const handlers = [], urls = [], values = [];
  for (const el of all) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      values.push(a.value);
      if (name.startsWith('on')) handlers.push(describe(el, a));
      if (name === 'srcdoc') urls.push(describe(el, a));
      if (['href', 'xlink:href', 'src', 'action', 'formaction', 'data', 'poster', 'background'].includes(name)) {
        // Browsers skip control characters and spaces in a scheme.
        const v = a.value.replace(/[\u0000-\u0020]/g, '');
        const image = el.tagName === 'IMG' && /^data:image\//i.test(v);
        if (/^(javascript|vbscript|data):/i.test(v) && !image) urls.push(describe(el, a));
      }
    }
  }
  for (const a of document.querySelectorAll('a[href], area[href]')) {
    if (['javascript:', 'vbscript:', 'data:'].includes(a.protocol)) urls.push('resolved ' + a.outerHTML.slice(0, 120));
  }
  const scripts = [...document.querySelectorAll('script')].filter((s) => {
    const src = s.getAttribute('src') || s.getAttribute('href');
    if (!src) return true;
    const u = new URL(src, location.href);
    return u.origin !== location.origin || !u.pathname.startsWith('/static/');
  }).map((s) => s.outerHTML.slice(0, 120));
  const injected = [...document.querySelectorAll(
    'iframe, frame, frameset, object, embed, applet, base, head noscript, body meta, body style, math, template, foreignObject')]
    .map((e) => e.outerHTML.slice(0, 120));
  // A <noscript> in the body is ours only as a closed panel's form, built
  // when it opens (static/lazy.js): built here too, it must be one form with
  // nothing active in it.
  for (const n of document.querySelectorAll('body noscript')) {
    const t = document.createElement('template');
    t.innerHTML = n.textContent;
    const all = [...t.content.querySelectorAll('*')];
    const own = n.hasAttribute('data-lazy') && n.parentElement.tagName === 'DETAILS'
      && t.content.children.length === 1 && t.content.firstElementChild.tagName === 'FORM'
      && !t.content.querySelector('script, iframe, frame, frameset, object, embed, applet, base, meta, style, link, noscript, math, svg, template')
      && !all.some((e) => [...e.attributes].some((a) => /^on/i.test(a.name)
        || (/^(href|src|action|formaction)$/i.test(a.name) && new URL(a.value, location.href).origin !== location.origin)));
    if (!own) injected.push(n.outerHTML.slice(0, 120));
  }
  // Stylesheets and icons of our own only.
  for (const l of document.querySelectorAll('link')) {
    const u = new URL(l.getAttribute('href') || '', location.href);
    if (u.origin !== location.origin || !u.pathname.startsWith('/static/')) injected.push(l.outerHTML.slice(0, 120));
  }
  const forms = [...document.querySelectorAll('textarea, input')].map((e) => e.value);
  // The CSP is bypassed: an inline script added now must run, or this test
  // would prove nothing.
  const probe = document.createElementNS(document.documentElement.namespaceURI, 'script');
  probe.textContent = 'window.__probeRan = true';
  (document.head || document.documentElement).appendChild(probe);
  done({
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    csp_bypassed: window.__probeRan === true,
    handlers, urls, scripts, injected,
    html: document.body !== null,
    h1: document.querySelectorAll('h1').length,
    text: root.innerText === undefined ? root.textContent : root.innerText,
    tab_title: document.title,
    anywhere: document.documentElement.textContent + '\n' + values.join('\n') + '\n' + forms.join('\n'),
  });
} catch (e) { done({error: String(e && e.stack || e)}); } });
"#;

#[tokio::test]
async fn hostile_strings_stay_text_on_every_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.import(&shared_atlas("ATLAS-5.6.0.yaml")).await;

    let body = json!({
        "title": line("title"),
        "summary": markdown("summary"),
        "target": line("target"),
        "actor": line("actor"),
        "reporter": line("reporter"),
        "tags": TAGS,
        "references": references(),
        "steps": [
            {"tactic": "AML.TA0005", "technique": "AML.T0051",
             "description": markdown("step1"), "evidence": evidence("evidence1")},
            {"tactic": "AML.TA0004", "technique": "AML.T0093",
             "description": markdown("step2"), "evidence": evidence("evidence2")},
        ],
    });
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&body)
        .send()
        .await
        .expect("create");
    let status = res.status().as_u16();
    let incident: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "the hostile incident was refused: {incident}");
    let id = incident["id"].as_str().expect("id").to_string();
    let step = incident["steps"][0]["id"]
        .as_str()
        .expect("step id")
        .to_string();
    let title = incident["title"].as_str().unwrap().to_string();
    assert_eq!(title, line("title"), "the title was stored as given");
    // Teamwork on it: the admin owns it, a hostile comment and task.
    let team = [
        ("members", "PUT", json!({"owner": "admin"})),
        ("comments", "POST", json!({"body": markdown("comment")})),
        (
            "tasks",
            "POST",
            json!({"title": line("task"), "owner": "admin", "due_on": "2020-01-01"}),
        ),
        (
            "observables",
            "POST",
            json!({"kind": "file-name", "value": line("obs")}),
        ),
    ];
    for (what, method, body) in team {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let res = app
            .client
            .request(method, app.url(&format!("/api/v1/incidents/{id}/{what}")))
            .json(&body)
            .send()
            .await
            .expect("teamwork");
        assert!(res.status().is_success(), "{what}: {}", res.status());
    }

    let (att, file_name) = hostile_attachment(&app, &id, &step).await;
    let task = first_task(&app, &id).await;
    // Another analyst comments: the admin, its owner, is told (with the title).
    let analyst = app.client_as(atlasview::domain::auth::Role::Analyst).await;
    let res = analyst
        .post(app.url(&format!("/api/v1/incidents/{id}/comments")))
        .json(&json!({"body": markdown("comment2")}))
        .send()
        .await
        .expect("comment");
    assert!(res.status().is_success(), "comment: {}", res.status());

    let pages: Vec<(String, Shows)> = PAGES
        .iter()
        .map(|(page, shows)| {
            let path = page
                .replace("{id}", &id)
                .replace("{step}", &step)
                .replace("{q}", &url_encode(&svg("title")))
                .replace("{tag}", &url_encode(&TAGS[0].to_lowercase()))
                .replace("{obs}", &url_encode(&line("obs")))
                .replace("{att}", &att)
                .replace("{task}", &task);
            (path, *shows)
        })
        .collect();
    // Every listed page exists (a broken page fails here, not silently later).
    let mut broken = Vec::new();
    for (path, _) in &pages {
        let (status, _) = app.get(path).await;
        if status != 200 {
            broken.push(format!("{path}: {status}"));
        }
    }
    assert!(
        broken.is_empty(),
        "pages that do not answer 200: {broken:?}"
    );

    browser.sign_in(&app, "admin", PASSWORD).await;
    browser.bypass_csp().await;
    // The inspection catches a payload that does get through.
    browser.open(&app, "/incidents").await;
    browser
        .js_with(
            "document.querySelector('h1').insertAdjacentHTML('afterend', arguments[0])",
            vec![json!(img("self-check"))],
        )
        .await;
    let found = browser.js_async(INSPECT, Vec::new()).await;
    assert_eq!(
        found["pwned"], "self-check",
        "the inspection is blind: {found}"
    );
    assert_ne!(
        found["handlers"],
        json!([]),
        "the inspection is blind: {found}"
    );

    let mut plain = plain_texts(&incident);
    plain.push(file_name);
    let mut failures = Vec::new();
    for (path, shows) in &pages {
        browser.open(&app, path).await;
        let found = browser.js_async(INSPECT, Vec::new()).await;
        let mut fail = |what: String| failures.push(format!("{path}: {what}"));
        if found["csp_bypassed"] != true {
            fail("the CSP bypass is not in force, so nothing is proven".into());
        }
        if !found["pwned"].is_null() {
            fail(format!(
                "a payload ran: window.__pwned = {}",
                found["pwned"]
            ));
        }
        for key in ["handlers", "urls", "scripts", "injected"] {
            if found[key] != json!([]) {
                fail(format!("{key}: {}", found[key]));
            }
        }
        if let Some(error) = found.get("error") {
            fail(format!("the inspection failed: {error}"));
            continue;
        }
        if found["html"] == true && found["h1"] == 0 {
            fail("no <h1>: the page did not render".into());
        }
        let text = normal(found["text"].as_str().unwrap_or_default());
        let anywhere = normal(found["anywhere"].as_str().unwrap_or_default());
        let missing_from = |haystack: &str, wanted: &[String]| -> Vec<String> {
            wanted
                .iter()
                .filter(|w| !haystack.contains(&normal(w)))
                .cloned()
                .collect()
        };
        let missing = match shows {
            Everything => {
                let tab = normal(found["tab_title"].as_str().unwrap_or_default());
                if !tab.contains(&normal(&title)) {
                    fail(format!("tab title lacks the title: {tab}"));
                }
                let mut wanted = vec![title.clone()];
                wanted.extend(plain.iter().cloned());
                missing_from(&text, &wanted)
            }
            Title => missing_from(&text, std::slice::from_ref(&title)),
            TitleSomewhere => missing_from(&anywhere, std::slice::from_ref(&title)),
            TitleStart => missing_from(&anywhere, &[title.chars().take(START).collect()]),
        };
        if !missing.is_empty() {
            fail(format!("not shown literally: {missing:?}"));
        }
    }
    browser.close().await;
    assert!(
        failures.is_empty(),
        "hostile strings escaped on {} page(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The ID of the incident's first task.
async fn first_task(app: &TestApp, id: &str) -> String {
    let (status, tasks) = app.get_json(&format!("/api/v1/incidents/{id}/tasks")).await;
    assert!(status.is_success(), "tasks: {status}");
    tasks[0]["id"].as_str().expect("a task").to_string()
}
