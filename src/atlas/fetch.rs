//! Getting release files: from a path, an `http(s)://` URL, or MITRE's
//! atlas-data repository by following its `ATLAS-latest.yaml` pointer chain.

use std::path::Path;

use reqwest::Url;

use super::parse::MAX_RELEASE_BYTES;

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
}

/// The bytes of a release file and where they came from.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub source: String,
}

pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Reads a release from a file path or an `http(s)://` URL, never more than
/// [`MAX_RELEASE_BYTES`].
pub async fn read_source(source: &str) -> Result<Fetched, FetchError> {
    if is_url(source) {
        let url = parse_url(source)?;
        let bytes = get(&client()?, &url).await?;
        return Ok(Fetched {
            bytes,
            source: url.to_string(),
        });
    }
    let bytes = read_file(Path::new(source)).await?;
    Ok(Fetched {
        bytes,
        source: source.to_string(),
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

/// Fetches the newest release from an atlas-data `dist/` folder: follows
/// `ATLAS-latest.yaml` (a git symlink, which a raw download returns as the
/// target's file name) to the file it names; falls back to the legacy
/// `ATLAS.yaml` where there is no pointer.
pub async fn sync(base: &str) -> Result<Fetched, FetchError> {
    let mut base_url = parse_url(base)?;
    if !base_url.path().ends_with('/') {
        let path = format!("{}/", base_url.path());
        base_url.set_path(&path);
    }
    let client = client()?;
    let latest = join(&base_url, "ATLAS-latest.yaml")?;
    match follow_pointers(&client, latest).await {
        Ok(found) => Ok(found),
        Err(FetchError::Status { status: 404, .. }) => {
            let legacy = join(&base_url, "ATLAS.yaml")?;
            tracing::info!(url = %legacy, "no ATLAS-latest.yaml pointer; using the legacy single file");
            let bytes = get(&client, &legacy).await?;
            Ok(Fetched {
                bytes,
                source: legacy.to_string(),
            })
        }
        Err(e) => Err(e),
    }
}

async fn follow_pointers(client: &reqwest::Client, start: Url) -> Result<Fetched, FetchError> {
    let mut url = start.clone();
    for _ in 0..MAX_POINTER_HOPS {
        let bytes = get(client, &url).await?;
        match pointer_target(&bytes) {
            Some(target) => {
                tracing::info!(from = %url, to = %target, "following release pointer");
                url = join(&url, &target)?;
            }
            None => {
                return Ok(Fetched {
                    bytes,
                    source: url.to_string(),
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
async fn get(client: &reqwest::Client, url: &Url) -> Result<Vec<u8>, FetchError> {
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
    let limit = MAX_RELEASE_BYTES as u64;
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
