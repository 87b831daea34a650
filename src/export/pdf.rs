//! PDF downloads, printed by a headless Chromium on the server.
//!
//! Design: the server never lets Chromium talk to it. The page to print is
//! rendered in-process (the same templates as the screen page), written as
//! one self-contained HTML file (its CSS inlined, nothing else to load) into
//! a fresh private temporary directory, and Chromium prints that file with
//! `--print-to-pdf`. So there is no session, token or URL to leak, no
//! loopback request to authorise, and the role check is the ordinary one of
//! the `.pdf` route. The document carries a Content-Security-Policy of its
//! own (`default-src 'none'`; inline styles only) so that, whatever the data
//! holds, Chromium runs no script and fetches nothing while printing.
//!
//! Chromium runs with a throw-away profile inside that directory, under a
//! time limit, killed if the request goes away (`kill_on_drop`), one at a
//! time (a small server must not start a browser per click). The directory
//! is removed afterwards, whatever happened.
//!
//! Which Chromium: `ATLASVIEW_CHROMIUM` (a path or a program name; `off`
//! disables PDFs), else the first of `chromium`, `chromium-browser`,
//! `google-chrome`, `google-chrome-stable` on the `PATH`. Without one, the
//! `.pdf` routes send the reader to the print view with a hint instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The environment variable naming the Chromium to print with.
pub const CHROMIUM_ENV: &str = "ATLASVIEW_CHROMIUM";

/// Programs looked for on the `PATH`, in order.
const CANDIDATES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// How long one print may take.
const PRINT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a request waits for the printer while another prints.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(8);

/// One print at a time.
static PRINTER: Semaphore = Semaphore::const_new(1);

/// Why no PDF came out.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("another PDF is being printed; try again in a moment")]
    Busy,
    #[error("Chromium took longer than {0:?} to print")]
    Timeout(Duration),
    #[error("Chromium could not print: {0}")]
    Failed(String),
    #[error("temporary files: {0}")]
    Io(#[from] std::io::Error),
}

/// The Chromium to print with, if any (looked up on every call: cheap, and
/// installing one later needs no restart).
pub fn chromium() -> Option<PathBuf> {
    let configured = std::env::var(CHROMIUM_ENV).ok();
    let path = std::env::var_os("PATH");
    find_chromium(configured.as_deref(), path.as_deref())
}

/// [`chromium`] with its inputs given: the configured value (a path, a name
/// on `path`, or `off`/`none`/`false`/`0`) or else the usual names on `path`.
pub fn find_chromium(configured: Option<&str>, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let on_path = |name: &str| -> Option<PathBuf> {
        let p = Path::new(name);
        if p.components().count() > 1 {
            return is_executable(p).then(|| p.to_path_buf());
        }
        std::env::split_paths(path?)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    };
    match configured.map(str::trim) {
        Some(v)
            if matches!(
                v.to_ascii_lowercase().as_str(),
                "off" | "none" | "false" | "0"
            ) =>
        {
            None
        }
        Some(v) if !v.is_empty() => on_path(v),
        _ => CANDIDATES.iter().find_map(|n| on_path(n)),
    }
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// A private temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let dir = std::env::temp_dir().join(format!("atlasview-pdf-{}", hex::encode(bytes)));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(dir = %self.0.display(), error = %e, "could not remove a PDF scratch directory");
        }
    }
}

/// `file://` URL of an absolute path (percent-encoding all but safe characters).
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

/// Our site's own links (`href="/…"`) would point at `file:///…` in a PDF
/// printed from a file: they become plain text (`data-href`).
pub fn without_local_links(html: &str) -> String {
    html.replace(" href=\"/", " data-href=\"/")
}

/// Prints a self-contained HTML document to PDF with `chromium`.
pub async fn print(chromium: &Path, html: &str) -> Result<Vec<u8>, PdfError> {
    let html = without_local_links(html);
    let _turn = tokio::time::timeout(QUEUE_TIMEOUT, PRINTER.acquire())
        .await
        .map_err(|_| PdfError::Busy)?
        .map_err(|_| PdfError::Busy)?;
    let scratch = Scratch::new()?;
    let page = scratch.0.join("document.html");
    let out = scratch.0.join("document.pdf");
    let profile = scratch.0.join("profile");
    tokio::fs::write(&page, &html).await?;
    let mut child = tokio::process::Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-breakpad",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            "--hide-scrollbars",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(file_url(&page))
        .env("HOME", &scratch.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| PdfError::Failed(format!("cannot start {}: {e}", chromium.display())))?;
    let stderr = child.stderr.take();
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        if let Some(mut s) = stderr {
            use tokio::io::AsyncReadExt;
            let mut buf = Vec::new();
            let _ = (&mut s).take(64 * 1024).read_to_end(&mut buf).await;
            text = String::from_utf8_lossy(&buf).into_owned();
        }
        text
    });
    let status = match tokio::time::timeout(PRINT_TIMEOUT, child.wait()).await {
        Ok(status) => status?,
        Err(_) => {
            let _ = child.kill().await;
            return Err(PdfError::Timeout(PRINT_TIMEOUT));
        }
    };
    let stderr = errors.await.unwrap_or_default();
    let pdf = tokio::fs::read(&out).await.unwrap_or_default();
    if !status.success() || !pdf.starts_with(b"%PDF-") {
        let last: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("dbus") && !l.trim().is_empty())
            .collect();
        let tail = last[last.len().saturating_sub(3)..].join(" | ");
        return Err(PdfError::Failed(format!("{status}; {tail}")));
    }
    Ok(pdf)
}

/// `Content-Security-Policy` of a document printed to PDF: no script, no
/// fetch; the inlined styles only.
pub const PRINT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// The stylesheets every printed document inlines, as served under `/static`.
pub fn base_css() -> String {
    let mut css = String::new();
    css.push_str(include_str!("../../static/app.css"));
    css.push_str("\n@media print {\n");
    css.push_str(include_str!("../../static/print.css"));
    css.push_str("\n}\n");
    css.push_str(include_str!("../../static/story.css"));
    css.push('\n');
    css.push_str(include_str!("../../static/reports.css"));
    css.push('\n');
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_chromium_wins_and_can_be_switched_off() {
        let dir = std::env::temp_dir().join(format!("atlasview-pdf-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("chromium");
        std::fs::write(&fake, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = dir.clone().into_os_string();
        assert_eq!(find_chromium(None, Some(&path)), Some(fake.clone()));
        assert_eq!(find_chromium(Some("off"), Some(&path)), None);
        assert_eq!(find_chromium(Some(" "), Some(&path)), Some(fake.clone()));
        assert_eq!(
            find_chromium(Some(fake.to_str().unwrap()), None),
            Some(fake.clone())
        );
        assert_eq!(
            find_chromium(Some("/nonexistent/chrome"), Some(&path)),
            None
        );
        assert_eq!(find_chromium(None, None), None);
        let empty = std::env::temp_dir().join("atlasview-pdf-test-empty-dir-that-does-not-exist");
        assert_eq!(find_chromium(None, Some(empty.as_os_str())), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn local_links_are_dropped_from_printed_documents() {
        assert_eq!(
            without_local_links(
                r#"<a href="/incidents/x">x</a> <a href="https://atlas.mitre.org/">y</a>"#
            ),
            r#"<a data-href="/incidents/x">x</a> <a href="https://atlas.mitre.org/">y</a>"#
        );
    }

    #[test]
    fn file_urls_are_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/a b/x.html")),
            "file:///tmp/a%20b/x.html"
        );
    }
}
