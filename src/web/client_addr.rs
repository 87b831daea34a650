//! Who the client is when a reverse proxy stands in front: the TCP peer,
//! unless the peer is one of the configured trusted proxies
//! (`--trusted-proxy`), in which case the client is the rightmost address of
//! `X-Forwarded-For` that is not itself a trusted proxy. [`resolve`] works it
//! out once per request, before anything else runs; everything that wants the
//! client's address (rate limits, lockout, request log, audit records) reads
//! it back with [`crate::web::extract::auth::client_ip`].
//!
//! The standard `Forwarded` header is not read: proxies that set
//! `X-Forwarded-For` pass a client's own `Forwarded` through untouched, so
//! believing it would let any client pick its address.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed; empty: none (the default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// One `--trusted-proxy` value: an address (`10.0.0.5`, `::1`) or a network
/// in CIDR notation (`10.0.0.0/24`, `fd00::/8`).
pub fn parse_trusted_proxy(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    if let Ok(net) = IpNet::from_str(value) {
        return Ok(normalised(net));
    }
    if let Ok(ip) = IpAddr::from_str(value) {
        return Ok(IpNet::from(ip.to_canonical()));
    }
    Err(format!(
        "`{value}` is not an IP address or a CIDR network (such as 10.0.0.5 or 10.0.0.0/24)"
    ))
}

/// An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/120`) as the IPv4 network
/// it stands for, since peers are compared in their canonical form.
fn normalised(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4)
            }
            _ => net,
        },
        v4 => v4,
    }
    .trunc()
}

/// One element of `X-Forwarded-For`: an address, also as `ip:port` or
/// `[v6]:port` (some balancers add the port).
fn forwarded_element(element: &str) -> Option<IpAddr> {
    let element = element.trim();
    IpAddr::from_str(element)
        .ok()
        .or_else(|| SocketAddr::from_str(element).ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client's address: the peer itself unless it is a trusted proxy; then
/// the rightmost `X-Forwarded-For` address that is not a trusted proxy (what
/// lies left of it was written by the client and is ignored). All addresses
/// trusted: the leftmost. A malformed element reached before that, or no
/// header at all: the peer.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let mut values = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        match value.to_str() {
            Ok(v) => values.push(v),
            Err(_) => return peer,
        }
    }
    // Several headers are one list, in order.
    let joined = values.join(",");
    let mut leftmost = None;
    for element in joined.rsplit(',') {
        let Some(ip) = forwarded_element(element) else {
            return peer;
        };
        if !trusted.contains(ip) {
            return ip;
        }
        leftmost = Some(ip);
    }
    leftmost.unwrap_or(peer)
}

/// The client's address of this request, as [`resolve`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The outermost middleware: works out the client's address and leaves it
/// in the request's extensions. Without a TCP peer (a router driven in
/// tests without a listener) there is none.
pub async fn resolve(
    State(trusted): State<Arc<TrustedProxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = client_address(peer, req.headers(), &trusted);
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            list.iter()
                .map(|v| parse_trusted_proxy(v).expect("valid"))
                .collect(),
        )
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn values_are_addresses_or_networks_and_anything_else_is_named() {
        assert_eq!(
            parse_trusted_proxy(" 10.0.0.5 ").unwrap().to_string(),
            "10.0.0.5/32"
        );
        assert_eq!(parse_trusted_proxy("::1").unwrap().to_string(), "::1/128");
        assert_eq!(
            parse_trusted_proxy("10.1.2.3/24").unwrap().to_string(),
            "10.1.2.0/24"
        );
        assert_eq!(
            parse_trusted_proxy("::ffff:10.0.0.0/104")
                .unwrap()
                .to_string(),
            "10.0.0.0/8"
        );
        for bad in ["", "proxy.internal", "10.0.0.0/33", "10.0.0", "1.2.3.4:80"] {
            let e = parse_trusted_proxy(bad).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let t = trusted(&["10.0.0.0/24"]);
        let h = xff(&["203.0.113.9"]);
        assert_eq!(
            client_address(ip("198.51.100.7"), &h, &t),
            ip("198.51.100.7")
        );
        let none = TrustedProxies::default();
        assert_eq!(client_address(ip("127.0.0.1"), &h, &none), ip("127.0.0.1"));
    }

    #[test]
    fn through_trusted_proxies_the_rightmost_untrusted_address_is_the_client() {
        let t = trusted(&["127.0.0.1", "10.0.0.0/24"]);
        let peer = ip("127.0.0.1");
        // The client's own claim (left) is ignored.
        let h = xff(&["6.6.6.6, 203.0.113.9, 10.0.0.3"]);
        assert_eq!(client_address(peer, &h, &t), ip("203.0.113.9"));
        // Several headers are one list.
        let h = xff(&["6.6.6.6", "203.0.113.9", "10.0.0.3"]);
        assert_eq!(client_address(peer, &h, &t), ip("203.0.113.9"));
        // Ports and IPv6 forms.
        let h = xff(&["[2001:db8::1]:4711"]);
        assert_eq!(client_address(peer, &h, &t), ip("2001:db8::1"));
        let h = xff(&["203.0.113.9:80"]);
        assert_eq!(client_address(peer, &h, &t), ip("203.0.113.9"));
        // An IPv4 peer seen on an IPv6 socket.
        let h = xff(&["203.0.113.9"]);
        assert_eq!(
            client_address(ip("::ffff:127.0.0.1"), &h, &t),
            ip("203.0.113.9")
        );
        // Everything trusted: the leftmost.
        let h = xff(&["10.0.0.8, 10.0.0.3"]);
        assert_eq!(client_address(peer, &h, &t), ip("10.0.0.8"));
        // Garbage left of the client is never reached.
        let h = xff(&["not-an-ip, 203.0.113.9"]);
        assert_eq!(client_address(peer, &h, &t), ip("203.0.113.9"));
    }

    #[test]
    fn a_missing_or_malformed_header_from_a_trusted_proxy_is_the_peer() {
        let t = trusted(&["127.0.0.1"]);
        let peer = ip("127.0.0.1");
        assert_eq!(client_address(peer, &HeaderMap::new(), &t), peer);
        for bad in ["", "203.0.113.9, nonsense", "203.0.113.9,", "unknown"] {
            assert_eq!(client_address(peer, &xff(&[bad]), &t), peer, "{bad:?}");
        }
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"203.0.113.9\xff").expect("header"),
        );
        assert_eq!(client_address(peer, &h, &t), peer);
    }

    #[test]
    fn the_forwarded_header_is_not_read() {
        let t = trusted(&["127.0.0.1"]);
        let mut h = HeaderMap::new();
        h.insert("forwarded", HeaderValue::from_static("for=203.0.113.9"));
        assert_eq!(client_address(ip("127.0.0.1"), &h, &t), ip("127.0.0.1"));
    }
}
