//! `rate_limit.exceeded`: the rate limiter (`http/rate_limit`) refused a request with
//! 429. Sampled per listener and limit (`sampled.rs`), so a flood reports itself once
//! per `events.sampling.interval` with the count it suppressed.
//!
//! The limits are keyed by client address; the event names the key's class (`ip`) and
//! only its network (IPv4 /24, IPv6 /48), not the address, which the access log keeps.

use std::net::IpAddr;

use serde_json::json;

use super::envelope::{Actor, Event};
use super::report::fields;
use super::sampled::SampledEvents;

/// The longest request path an event repeats (paths of the default group are the
/// caller's choice).
pub const MAX_ROUTE_CHARS: usize = 128;

/// One refused request.
#[derive(Debug, Clone, Copy)]
pub struct RateLimited<'a> {
    /// The limit's name: its endpoint group (`token`, `authorize`, …).
    pub limit: &'static str,
    /// `public` or `admin`.
    pub listener: &'static str,
    /// The path the request was routed by.
    pub route: &'a str,
    /// The address the budget is kept for.
    pub ip: IpAddr,
}

/// The address's network: IPv4 /24, IPv6 /48 (an IPv4-mapped address as IPv4).
pub fn network_of(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let [a, b, c, ..] = v6.segments();
            let net = std::net::Ipv6Addr::new(a, b, c, 0, 0, 0, 0, 0);
            format!("{net}/48")
        }
    }
}

/// Offers the refusal to the sampling; written when it passes.
pub fn rate_limit_exceeded(events: &SampledEvents, refused: &RateLimited<'_>) {
    let key = format!(
        "rate_limit.exceeded\u{0}{}\u{0}{}",
        refused.listener, refused.limit
    );
    events.offer(&key, |sample| {
        let route: String = refused.route.chars().take(MAX_ROUTE_CHARS).collect();
        Event {
            event_type: "rate_limit.exceeded",
            aggregate_key: format!("rate_limit:{}:{}", refused.listener, refused.limit),
            actor: Actor::Unauthenticated,
            fields: fields(json!({
                "limit": refused.limit,
                "key_class": "ip",
                "client_network": network_of(refused.ip),
                "listener": refused.listener,
                "route": route,
                "suppressed": sample.suppressed,
                "suppressed_other": sample.suppressed_other,
            })),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_network_of_an_address_is_named() {
        assert_eq!(
            network_of("203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            network_of("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0/24"
        );
        assert_eq!(
            network_of("2001:db8:abcd:12::1".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
    }
}
