//! Who is at the other end of a request: the one place that reads `Forwarded`
//! (RFC 7239), `X-Forwarded-For` and `X-Forwarded-Proto`, and only when the socket peer
//! is a configured trusted proxy (`serve.<listener>.trusted_proxies`,
//! `serve.tls.allow_termination_from`). Anyone can send these headers, so from any
//! other peer they are ignored.
//!
//! What the result may decide: the client address in the access log (and rate limits),
//! and whether the user agent used HTTPS (cookies get `Secure`; a listener serving TLS
//! itself makes every request HTTPS). What it never decides:
//! a URL. The server's own URLs come from `urls.self.*` only (`Config::public_url`);
//! `Host` and `X-Forwarded-Host` are read nowhere.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;

use crate::config::Cidr;
use crate::http::ListenerSettings;

/// The client of a request as far as trusted proxies vouch for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOrigin {
    /// The client's address: the socket peer, or with trusted proxies the nearest
    /// address in the forwarded chain that is not one of them.
    pub ip: Option<IpAddr>,
    /// The user agent used HTTPS: the listener serves TLS (`serve.tls`), or a trusted
    /// proxy said so.
    pub https: bool,
}

impl ClientOrigin {
    /// Computes the origin of `req` with its listener's trusted proxies and keeps it in
    /// the request's extensions for handlers (`ClientOrigin::of`).
    pub fn attach(req: &ServiceRequest) -> ClientOrigin {
        let settings = ListenerSettings::of(req);
        let mut origin = client_origin(req.peer_addr(), req.headers(), &settings.trusted_proxies);
        // A listener serving TLS itself: the connection is HTTPS whatever the headers say.
        origin.https |= settings.tls;
        req.extensions_mut().insert(origin);
        origin
    }

    /// The origin the access-log middleware attached to `req`, else the bare peer.
    pub fn of(req: &actix_web::HttpRequest) -> ClientOrigin {
        req.extensions()
            .get::<ClientOrigin>()
            .copied()
            .unwrap_or(ClientOrigin {
                ip: req.peer_addr().map(|a| a.ip()),
                https: false,
            })
    }
}

fn trusted(proxies: &[Cidr], ip: IpAddr) -> bool {
    proxies.iter().any(|range| range.contains(ip))
}

/// The origin of a request from `peer` with `headers`, believing forwarded headers
/// only as far as `proxies` reach.
pub fn client_origin(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    proxies: &[Cidr],
) -> ClientOrigin {
    let peer = peer.map(|a| a.ip());
    let Some(peer_ip) = peer.filter(|ip| trusted(proxies, *ip)) else {
        return ClientOrigin {
            ip: peer,
            https: false,
        };
    };
    let forwarded = forwarded_elements(headers);
    let (chain, proto) = if forwarded.is_empty() {
        (
            list_values(headers, "x-forwarded-for"),
            list_values(headers, "x-forwarded-proto").pop(),
        )
    } else {
        let chain = forwarded
            .iter()
            .filter_map(|element| parameter(element, "for"))
            .collect();
        let proto = forwarded
            .iter()
            .rev()
            .find_map(|element| parameter(element, "proto"));
        (chain, proto)
    };
    // Right to left: each hop appended the address it saw; the first one that is not
    // a trusted proxy is the client. A hop we cannot read ends the walk there.
    let mut ip = peer_ip;
    for hop in chain.iter().rev() {
        if !trusted(proxies, ip) {
            break;
        }
        match node_ip(hop) {
            Some(next) => ip = next,
            None => break,
        }
    }
    ClientOrigin {
        ip: Some(ip),
        https: proto.is_some_and(|p| p.eq_ignore_ascii_case("https")),
    }
}

/// The comma-separated values of every `name` header line, in order.
fn list_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// RFC 7239 §4: `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"`.
fn forwarded_elements(headers: &HeaderMap) -> Vec<String> {
    list_values(headers, "forwarded")
}

/// The value of `name` in one forwarded-element, unquoted (§4: "quoted-string").
fn parameter(element: &str, name: &str) -> Option<String> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// RFC 7239 §6: a node is an address with an optional port (IPv6 in brackets),
/// `unknown`, or an obfuscated `_name`; only addresses are of use.
fn node_ip(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn proxies(ranges: &[&str]) -> Vec<Cidr> {
        ranges.iter().map(|r| r.parse().unwrap()).collect()
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 40000))
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    const FORGED: &[(&str, &str)] = &[
        ("x-forwarded-for", "198.51.100.1"),
        ("x-forwarded-proto", "https"),
        ("forwarded", "for=198.51.100.2;proto=https"),
        ("x-forwarded-host", "evil.example"),
        ("host", "evil.example"),
    ];

    #[test]
    fn an_untrusted_peers_forwarded_headers_are_ignored() {
        let origin = client_origin(peer("203.0.113.9"), &headers(FORGED), &[]);
        assert_eq!(
            origin,
            ClientOrigin {
                ip: ip("203.0.113.9"),
                https: false
            }
        );
        let origin = client_origin(
            peer("203.0.113.9"),
            &headers(FORGED),
            &proxies(&["10.0.0.0/8"]),
        );
        assert_eq!(origin.ip, ip("203.0.113.9"));
        assert!(!origin.https);
    }

    #[test]
    fn a_trusted_proxys_x_forwarded_headers_count() {
        let origin = client_origin(
            peer("10.0.0.5"),
            &headers(&[
                ("x-forwarded-for", "198.51.100.1"),
                ("x-forwarded-proto", "https"),
            ]),
            &proxies(&["10.0.0.0/8"]),
        );
        assert_eq!(
            origin,
            ClientOrigin {
                ip: ip("198.51.100.1"),
                https: true
            }
        );
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_hop() {
        // The client forged the first entry; the proxies appended the rest.
        let forged_then_real = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.9")]);
        let origin = client_origin(
            peer("10.0.0.5"),
            &forged_then_real,
            &proxies(&["10.0.0.0/8"]),
        );
        assert_eq!(origin.ip, ip("198.51.100.7"));
        // Every hop trusted: the leftmost address is the client.
        let origin = client_origin(
            peer("10.0.0.5"),
            &headers(&[("x-forwarded-for", "10.1.1.1, 10.0.0.9")]),
            &proxies(&["10.0.0.0/8"]),
        );
        assert_eq!(origin.ip, ip("10.1.1.1"));
        // An unreadable hop ends the walk at the last proxy that vouched for it.
        let origin = client_origin(
            peer("10.0.0.5"),
            &headers(&[("x-forwarded-for", "198.51.100.7, garbage")]),
            &proxies(&["10.0.0.0/8"]),
        );
        assert_eq!(origin.ip, ip("10.0.0.5"));
    }

    #[test]
    fn rfc7239_forwarded_takes_precedence() {
        let origin = client_origin(
            peer("::1"),
            &headers(&[
                (
                    "forwarded",
                    "for=192.0.2.43, for=\"[2001:db8:cafe::17]:4711\";proto=https",
                ),
                ("x-forwarded-for", "198.51.100.99"),
                ("x-forwarded-proto", "http"),
            ]),
            &proxies(&["::1/128"]),
        );
        assert_eq!(
            origin,
            ClientOrigin {
                ip: ip("2001:db8:cafe::17"),
                https: true
            }
        );
        let origin = client_origin(
            peer("127.0.0.1"),
            &headers(&[("forwarded", "for=unknown;proto=javascript")]),
            &proxies(&["127.0.0.0/8"]),
        );
        assert_eq!(origin.ip, ip("127.0.0.1"), "unknown ends the walk");
        assert!(!origin.https, "only https counts");
    }

    #[test]
    fn ipv4_peers_on_dual_stack_sockets_match_ipv4_ranges() {
        let origin = client_origin(
            peer("::ffff:10.0.0.5"),
            &headers(&[("x-forwarded-for", "198.51.100.1")]),
            &proxies(&["10.0.0.0/8"]),
        );
        assert_eq!(origin.ip, ip("198.51.100.1"));
    }
}
