//! Getting release files: from a path, an `http(s)://` URL, or a mirror of
//! MITRE's atlas-data `dist/` folder, as upstream publishes it:
//!
//! 1. `dist/manifest.yaml`: a list, newest first, of
//!    `{release, release-date, versions: [{format-version, path}]}` with
//!    paths relative to `dist/`; `sync` takes the newest release's 6.0.0
//!    file (or the release asked for);
//! 2. without a manifest, the `ATLAS-latest.yaml` pointer chain (git
//!    symlinks, which a raw download returns as the link text);
//! 3. without a pointer, the legacy single file `ATLAS.yaml`.
//!
//! Every download is size-limited here; the caller parses and validates it
//! before anything is written.

use std::path::Path;

use reqwest::Url;

use super::error::ImportError;
use super::parse::MAX_RELEASE_BYTES;
use super::reader::Obj;
use super::version::compare_versions;
use super::yaml::{Node, Value, load_yaml};

/// The largest manifest accepted (upstream's is a few KB).
const MAX_MANIFEST_BYTES: usize = 1024 * 1024;

/// Where `atlas sync` looks by default: the `dist/` folder of MITRE's atlas-data repository.
pub const DEFAULT_SYNC_URL: &str =
    "https://raw.githubusercontent.com/mitre-atlas/atlas-data/main/dist/";

/// How many pointer files `sync` follows before giving up (a loop guard).
const MAX_POINTER_HOPS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { what: String, size: u64, limit: u64 },
    #[error("not a valid URL {url:?}: {message}")]
    BadUrl { url: String, message: String },
    #[error("cannot fetch {url}: {message}")]
    Http { url: String, message: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("the pointer chain from {start} is longer than {MAX_POINTER_HOPS} hops")]
    PointerLoop { start: String },
    #[error("the manifest {url} is not usable: {message}")]
    Manifest { url: String, message: String },
    #[error("{where_} offers no release {release}{offered}")]
    NoSuchRelease {
        release: String,
        where_: String,
        offered: String,
    },
}

/// The bytes of a release file and where they came from.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub source: String,
    /// The content release the file must hold (the release asked for, or the
    /// one the manifest says the file holds).
    pub release: Option<String>,
}

/// One file of a release in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManifestFile {
    pub format_version: String,
    /// As written, relative to `dist/`.
    pub path: String,
    /// Resolved against the mirror's `dist/` URL.
    pub url: String,
}

/// One release in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManifestRelease {
    pub release: String,
    pub release_date: Option<String>,
    pub files: Vec<ManifestFile>,
}

impl ManifestRelease {
    /// The file to import: the 6.x one when there is one, else the first.
    pub fn preferred(&self) -> Option<&ManifestFile> {
        self.files
            .iter()
            .find(|f| f.format_version.trim().split('.').next() == Some("6"))
            .or_else(|| self.files.first())
    }
}

pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Reads a release from a file path or an `http(s)://` URL, never more than
/// [`MAX_RELEASE_BYTES`].
pub async fn read_source(source: &str) -> Result<Fetched, FetchError> {
    if is_url(source) {
        let url = parse_url(source)?;
        let bytes = get(&client()?, &url, MAX_RELEASE_BYTES).await?;
        return Ok(Fetched {
            bytes,
            source: url.to_string(),
            release: None,
        });
    }
    let bytes = read_file(Path::new(source)).await?;
    Ok(Fetched {
        bytes,
        source: source.to_string(),
        release: None,
    })
}

async fn read_file(path: &Path) -> Result<Vec<u8>, FetchError> {
    let io = |source| FetchError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = tokio::fs::metadata(path).await.map_err(io)?;
    if meta.len() > MAX_RELEASE_BYTES as u64 {
        return Err(FetchError::TooLarge {
            what: path.display().to_string(),
            size: meta.len(),
            limit: MAX_RELEASE_BYTES as u64,
        });
    }
    tokio::fs::read(path).await.map_err(io)
}

/// The mirror's `dist/` folder URL, with its trailing slash.
fn dist_url(base: &str) -> Result<Url, FetchError> {
    let mut base_url = parse_url(base)?;
    if !base_url.path().ends_with('/') {
        let path = format!("{}/", base_url.path());
        base_url.set_path(&path);
    }
    Ok(base_url)
}

/// The releases the mirror's `dist/manifest.yaml` lists, newest first;
/// `None` when the mirror has no manifest (HTTP 404).
pub async fn remote(base: &str) -> Result<Option<Vec<ManifestRelease>>, FetchError> {
    let base_url = dist_url(base)?;
    remote_at(&client()?, &base_url).await
}

async fn remote_at(
    client: &reqwest::Client,
    base_url: &Url,
) -> Result<Option<Vec<ManifestRelease>>, FetchError> {
    let url = join(base_url, "manifest.yaml")?;
    let bytes = match get(client, &url, MAX_MANIFEST_BYTES).await {
        Ok(b) => b,
        Err(FetchError::Status { status: 404, .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    parse_manifest(&bytes, base_url, &url).map(Some)
}

/// Reads a manifest; paths must stay inside the `dist/` folder.
pub fn parse_manifest(
    bytes: &[u8],
    base_url: &Url,
    url: &Url,
) -> Result<Vec<ManifestRelease>, FetchError> {
    let bad = |message: String| FetchError::Manifest {
        url: url.to_string(),
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    let root = load_yaml(text).map_err(|e| bad(e.to_string()))?;
    let Value::Seq(items) = &root.value else {
        return Err(bad(format!(
            "expected a list of releases, found {} ({})",
            root.describe(),
            root.at()
        )));
    };
    let shape_err = |e: ImportError| bad(e.to_string());
    let mut releases = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let obj = Obj::new(item, &format!("[{i}]")).map_err(shape_err)?;
        let release = obj
            .req_str("release")
            .map_err(shape_err)?
            .trim()
            .to_string();
        let release_date = obj.opt_str(&["release-date"]).map_err(shape_err)?;
        let mut files = Vec::new();
        if let Some(Node {
            value: Value::Seq(versions),
            ..
        }) = obj.get("versions")
        {
            for (k, v) in versions.iter().enumerate() {
                let vo = Obj::new(v, &format!("[{i}].versions[{k}]")).map_err(shape_err)?;
                let format_version = vo.req_str("format-version").map_err(shape_err)?;
                let path = vo.req_str("path").map_err(shape_err)?.trim().to_string();
                let resolved = inside(base_url, &path).ok_or_else(|| {
                    bad(format!(
                        "[{i}].versions[{k}].path: `{path}` is not a path inside the dist/ folder"
                    ))
                })?;
                files.push(ManifestFile {
                    format_version,
                    path,
                    url: resolved.to_string(),
                });
            }
        } else if obj.get("versions").is_some() {
            return Err(bad(format!("[{i}].versions: expected a list")));
        }
        releases.push(ManifestRelease {
            release,
            release_date,
            files,
        });
    }
    // Newest first, whatever order the file uses.
    releases.sort_by(|a, b| compare_versions(&b.release, &a.release));
    Ok(releases)
}

/// `path` resolved against `base`, if it is a relative path that stays
/// inside `base` (a hostile manifest cannot send the download elsewhere).
fn inside(base: &Url, path: &str) -> Option<Url> {
    if path.is_empty()
        || path.starts_with('/')
        || path.contains("://")
        || path.contains('\\')
        || path.split('/').any(|seg| seg == "..")
    {
        return None;
    }
    let url = base.join(path).ok()?;
    url.as_str().starts_with(base.as_str()).then_some(url)
}

/// What [`sync`] fetched, and how it chose.
#[derive(Debug)]
pub struct Synced {
    pub fetched: Fetched,
    /// How the file was found, for people ("manifest: newest release 2026.09, format 6.0.0").
    pub how: String,
}

/// Fetches a release from an atlas-data `dist/` folder: the newest (or the
/// asked-for) release of `manifest.yaml`, preferring its 6.0.0 file; without
/// a manifest the `ATLAS-latest.yaml` pointer chain (or, for a given release,
/// `v6/ATLAS-<release>.yaml` then `legacy/ATLAS-<release>.yaml`); then the
/// legacy `ATLAS.yaml`.
pub async fn sync(base: &str, release: Option<&str>) -> Result<Synced, FetchError> {
    let base_url = dist_url(base)?;
    let client = client()?;
    let release = release.map(str::trim).filter(|r| !r.is_empty());
    if let Some(manifest) = remote_at(&client, &base_url).await? {
        let entry = match release {
            None => manifest.iter().find(|r| r.preferred().is_some()),
            Some(wanted) => manifest
                .iter()
                .find(|r| compare_versions(&r.release, wanted).is_eq()),
        };
        let Some(entry) = entry else {
            let offered: Vec<&str> = manifest.iter().map(|r| r.release.as_str()).collect();
            return Err(FetchError::NoSuchRelease {
                release: release.unwrap_or("with a file").to_string(),
                where_: format!("the manifest {}", join(&base_url, "manifest.yaml")?),
                offered: if offered.is_empty() {
                    " (it lists none)".to_string()
                } else {
                    format!(" (it lists {})", offered.join(", "))
                },
            });
        };
        let Some(file) = entry.preferred() else {
            return Err(FetchError::NoSuchRelease {
                release: entry.release.clone(),
                where_: "the manifest".to_string(),
                offered: " with a file (its `versions` list is empty)".to_string(),
            });
        };
        let url = parse_url(&file.url)?;
        let bytes = get(&client, &url, MAX_RELEASE_BYTES).await?;
        return Ok(Synced {
            how: format!(
                "manifest: {} release {}, format {}",
                if release.is_some() {
                    "the asked-for"
                } else {
                    "the newest"
                },
                entry.release,
                file.format_version
            ),
            fetched: Fetched {
                bytes,
                source: url.to_string(),
                release: Some(entry.release.clone()),
            },
        });
    }
    if let Some(wanted) = release {
        // No manifest: the file names upstream uses for every release.
        for path in [
            format!("v6/ATLAS-{wanted}.yaml"),
            format!("legacy/ATLAS-{wanted}.yaml"),
        ] {
            let url = inside(&base_url, &path).ok_or_else(|| FetchError::BadUrl {
                url: path.clone(),
                message: "not a release name".to_string(),
            })?;
            match get(&client, &url, MAX_RELEASE_BYTES).await {
                Ok(bytes) => {
                    return Ok(Synced {
                        how: format!("no manifest: release {wanted} by its file name"),
                        fetched: Fetched {
                            bytes,
                            source: url.to_string(),
                            release: Some(wanted.to_string()),
                        },
                    });
                }
                Err(FetchError::Status { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        return Err(FetchError::NoSuchRelease {
            release: wanted.to_string(),
            where_: base_url.to_string(),
            offered: format!(
                " (no manifest.yaml, no v6/ATLAS-{wanted}.yaml, no legacy/ATLAS-{wanted}.yaml)"
            ),
        });
    }
    let latest = join(&base_url, "ATLAS-latest.yaml")?;
    match follow_pointers(&client, latest).await {
        Ok(found) => Ok(Synced {
            how: "no manifest: the ATLAS-latest.yaml pointer".to_string(),
            fetched: found,
        }),
        Err(FetchError::Status { status: 404, .. }) => {
            let legacy = join(&base_url, "ATLAS.yaml")?;
            tracing::info!(url = %legacy, "no manifest and no ATLAS-latest.yaml pointer; using the legacy single file");
            let bytes = get(&client, &legacy, MAX_RELEASE_BYTES).await?;
            Ok(Synced {
                how: "no manifest and no pointer: the legacy ATLAS.yaml".to_string(),
                fetched: Fetched {
                    bytes,
                    source: legacy.to_string(),
                    release: None,
                },
            })
        }
        Err(e) => Err(e),
    }
}

async fn follow_pointers(client: &reqwest::Client, start: Url) -> Result<Fetched, FetchError> {
    let mut url = start.clone();
    for _ in 0..MAX_POINTER_HOPS {
        let bytes = get(client, &url, MAX_RELEASE_BYTES).await?;
        match pointer_target(&bytes) {
            Some(target) => {
                tracing::info!(from = %url, to = %target, "following release pointer");
                url = join(&url, &target)?;
            }
            None => {
                return Ok(Fetched {
                    bytes,
                    source: url.to_string(),
                    release: None,
                });
            }
        }
    }
    Err(FetchError::PointerLoop {
        start: start.to_string(),
    })
}

/// A pointer file holds one relative path to another YAML file and nothing else.
fn pointer_target(bytes: &[u8]) -> Option<String> {
    if bytes.len() > 512 {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let one_line = !text.is_empty() && !text.contains(char::is_whitespace) && !text.contains(':');
    let yaml_name = text.ends_with(".yaml") || text.ends_with(".yml");
    (one_line && yaml_name).then(|| text.to_string())
}

fn parse_url(s: &str) -> Result<Url, FetchError> {
    let url = Url::parse(s).map_err(|e| FetchError::BadUrl {
        url: s.to_string(),
        message: e.to_string(),
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(FetchError::BadUrl {
            url: s.to_string(),
            message: format!("scheme {other} is not http or https"),
        }),
    }
}

fn join(base: &Url, relative: &str) -> Result<Url, FetchError> {
    base.join(relative).map_err(|e| FetchError::BadUrl {
        url: relative.to_string(),
        message: e.to_string(),
    })
}

fn client() -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .user_agent(concat!("atlasview/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(15))
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| FetchError::Http {
            url: String::new(),
            message: e.to_string(),
        })
}

/// GET with a streaming size limit, so a hostile server cannot fill memory.
async fn get(client: &reqwest::Client, url: &Url, max: usize) -> Result<Vec<u8>, FetchError> {
    let http = |e: reqwest::Error| FetchError::Http {
        url: url.to_string(),
        message: e.to_string(),
    };
    let mut response = client.get(url.clone()).send().await.map_err(http)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let limit = max as u64;
    let too_large = |size| FetchError::TooLarge {
        what: url.to_string(),
        size,
        limit,
    };
    if let Some(len) = response.content_length()
        && len > limit
    {
        return Err(too_large(len));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > limit {
            return Err(too_large(bytes.len() as u64));
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_stay_inside_dist() {
        let base = Url::parse("https://mirror.example/atlas/dist/").unwrap();
        assert_eq!(
            inside(&base, "v6/ATLAS-2026.09.yaml")
                .map(|u| u.to_string())
                .as_deref(),
            Some("https://mirror.example/atlas/dist/v6/ATLAS-2026.09.yaml")
        );
        for bad in [
            "../secrets.yaml",
            "/etc/passwd",
            "https://evil.example/x.yaml",
            "v6/../../x",
            "",
            "//evil.example/x",
        ] {
            assert_eq!(inside(&base, bad), None, "{bad}");
        }
    }

    #[test]
    fn manifest_is_read_newest_first_with_written_versions() {
        let base = Url::parse("https://m.example/dist/").unwrap();
        let url = base.join("manifest.yaml").unwrap();
        let text = "- release: 2026.07\n  release-date: 2026-07-31\n  versions:\n  - {format-version: 6.0.0, path: v6/ATLAS-2026.07.yaml}\n- release: 2026.10\n  versions:\n  - {format-version: 6.0.0, path: v6/ATLAS-2026.10.yaml}\n  - {format-version: 7.0.0, path: v7/ATLAS-2026.10.yaml}\n";
        let m = parse_manifest(text.as_bytes(), &base, &url).unwrap();
        assert_eq!(m[0].release, "2026.10");
        assert_eq!(m[0].preferred().unwrap().path, "v6/ATLAS-2026.10.yaml");
        assert_eq!(m[1].release_date.as_deref(), Some("2026-07-31"));
        let err = parse_manifest(
            b"- release: 1\n  versions:\n  - {format-version: 6.0.0, path: ../x.yaml}\n",
            &base,
            &url,
        )
        .unwrap_err();
        assert!(err.to_string().contains("[0].versions[0].path"), "{err}");
        assert!(parse_manifest(b"release: 1\n", &base, &url).is_err());
    }

    #[test]
    fn pointer_files_are_recognised() {
        assert_eq!(
            pointer_target(b"v6/ATLAS-2026.09.yaml\n").as_deref(),
            Some("v6/ATLAS-2026.09.yaml")
        );
        assert_eq!(
            pointer_target(b"ATLAS-2026.05.yaml").as_deref(),
            Some("ATLAS-2026.05.yaml")
        );
        assert_eq!(pointer_target(b"id: ATLAS\nname: x\n"), None);
        assert_eq!(pointer_target(b"---\nversion: 5.6.0"), None);
        assert_eq!(pointer_target(b""), None);
    }
}
