//! Where an ATLAS release came from, as stored and as shown. A source is a
//! file path, an `http(s)://` URL (possibly of a private mirror, with
//! credentials), or a label such as `embedded catalog` or `upload NAME`.

use reqwest::Url;

/// Query parameters are dropped as well as the user and password: mirrors
/// take tokens there too (`?token=…`, signed URLs).
fn parse_url(source: &str) -> Option<Url> {
    let url = Url::parse(source.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The source as stored and shown to admins: a URL without its credentials,
/// query or fragment; anything else as it is.
pub fn redact_source(source: &str) -> String {
    match parse_url(source) {
        Some(mut url) => {
            // Both only fail for URLs that cannot have credentials at all.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        None => source.to_string(),
    }
}

/// The source as shown to everyone: a URL's host and path, a file's name
/// (never the server's folders), a label as it is.
pub fn public_source(source: &str) -> String {
    if let Some(url) = parse_url(source) {
        let host = url.host_str().unwrap_or("");
        return match url.port() {
            Some(port) => format!("{host}:{port}{}", url.path()),
            None => format!("{host}{}", url.path()),
        };
    }
    let source = source.trim();
    let looks_like_path = source.contains('/') || source.contains('\\');
    if looks_like_path {
        let name = source
            .rsplit(['/', '\\'])
            .find(|part| !part.is_empty())
            .unwrap_or("");
        return name.to_string();
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_survive() {
        let src = "http://user:secret@mirror.example:8443/atlas/ATLAS-5.6.0.yaml?token=abc#x";
        assert_eq!(
            redact_source(src),
            "http://mirror.example:8443/atlas/ATLAS-5.6.0.yaml"
        );
        assert_eq!(
            public_source(src),
            "mirror.example:8443/atlas/ATLAS-5.6.0.yaml"
        );
        assert_eq!(
            public_source("https://raw.example/dist/ATLAS.yaml"),
            "raw.example/dist/ATLAS.yaml"
        );
    }

    #[test]
    fn paths_show_only_the_file_name() {
        assert_eq!(
            public_source("/srv/secret-dir/ATLAS-5.6.0.yaml"),
            "ATLAS-5.6.0.yaml"
        );
        assert_eq!(public_source("C:\\data\\ATLAS.yaml"), "ATLAS.yaml");
        assert_eq!(redact_source("/srv/x/ATLAS.yaml"), "/srv/x/ATLAS.yaml");
        assert_eq!(public_source("embedded catalog"), "embedded catalog");
        assert_eq!(public_source("API upload"), "API upload");
    }
}
