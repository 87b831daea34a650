//! `atlasview healthcheck`: the container's health probe. The runtime image
//! has no curl, and the binary already carries an HTTP client (reqwest, for
//! `atlas sync`), so it asks the server itself.

use std::net::SocketAddr;
use std::time::Duration;

/// How long the server has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where to ask when no `--url` is given: `/readyz` on the address the server
/// listens on (`ATLASVIEW_ADDR`), an unspecified one (`0.0.0.0`, `[::]`) as
/// loopback, since the probe runs beside the server.
pub(crate) fn default_url(listen: Option<&str>) -> String {
    let addr = listen.map(str::trim).filter(|a| !a.is_empty());
    let host = match addr.map(|a| (a, a.parse::<SocketAddr>())) {
        None => "127.0.0.1:8080".to_string(),
        Some((_, Ok(mut socket))) => {
            if socket.ip().is_unspecified() {
                socket.set_ip(match socket {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            socket.to_string()
        }
        // A host name (`localhost:8080`) is asked as written.
        Some((a, Err(_))) => a.to_string(),
    };
    format!("http://{host}/readyz")
}

/// GETs `url`; `Ok` with the status line on a 2xx answer.
pub(crate) async fn check(url: &str) -> anyhow::Result<String> {
    // No proxy from the environment: the server is on this machine.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = client
        .get(url)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let status = res.status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(format!("{url} answered {status}"))
}

#[cfg(test)]
mod tests {
    use super::default_url;

    #[test]
    fn the_default_url_is_readyz_on_the_listen_address_as_loopback() {
        assert_eq!(default_url(None), "http://127.0.0.1:8080/readyz");
        assert_eq!(
            default_url(Some("0.0.0.0:9000")),
            "http://127.0.0.1:9000/readyz"
        );
        assert_eq!(default_url(Some("[::]:8080")), "http://[::1]:8080/readyz");
        assert_eq!(
            default_url(Some("10.0.0.5:8080")),
            "http://10.0.0.5:8080/readyz"
        );
        assert_eq!(
            default_url(Some("localhost:8080")),
            "http://localhost:8080/readyz"
        );
    }
}
