//! SSRF protection for calls to URLs clients registered (Hydra's
//! `clients.http.disallow_private_ip_ranges`): only globally routable unicast
//! addresses may be contacted. The check runs in the DNS resolver, on the addresses the
//! connection will actually use, so a name cannot resolve to a public address for a
//! check and to a private one for the connection (DNS rebinding). IP-literal hosts never
//! reach a resolver and are checked by [`check_url`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is a public unicast address: not loopback, private (RFC 1918, RFC 4193),
/// shared (RFC 6598), link-local, multicast, documentation, benchmarking, reserved or
/// unspecified (RFC 6890 registries). IPv6 is public only inside global unicast
/// 2000::/3; the forms that carry an IPv4 address to a translator or tunnel are judged
/// by that address (IPv4-mapped, -compatible, -translated, NAT64 64:ff9b::/96) or
/// refused whole where it cannot be judged or no public service needs them (6to4,
/// Teredo, local-use NAT64).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 192 && b == 88 && c == 99)
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        // ::, ::1 and the deprecated IPv4-compatible form ::a.b.c.d (RFC 4291 §2.5.5.1).
        return s[6] != 0 && is_public_v4(v4(s[6], s[7]));
    }
    if s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        // IPv4-translated ::ffff:0:a.b.c.d (RFC 2765 §2.1, SIIT): the IPv4 address decides.
        return is_public_v4(v4(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052 §2.1): a translator forwards to
        // the embedded IPv4 address, so that address decides. RFC 6052 §3.1 forbids this
        // prefix for non-global IPv4, but a translator need not enforce it.
        return is_public_v4(v4(s[6], s[7]));
    }
    // Only global unicast 2000::/3 (RFC 4291 §2.4, IANA's IPv6 address space) is ever
    // public: this refuses unique local fc00::/7, link-local fe80::/10, site-local,
    // multicast ff00::/8, discard-only 100::/64 (RFC 6666), SRv6 SIDs 5f00::/16
    // (RFC 9602), local-use NAT64 64:ff9b:1::/48 (RFC 8215: translated by a translator
    // of the local network, the IPv4 address at an offset the operator chose, so it
    // cannot be judged) and every reserved block.
    if (s[0] & 0xe000) != 0x2000 {
        return false;
    }
    !((s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32 (RFC 3849)
        || (s[0] == 0x3fff && s[1] < 0x1000) // documentation 3fff::/20 (RFC 9637)
        // IETF protocol assignments 2001::/23 (RFC 2928): Teredo 2001::/32 (RFC 4380)
        // tunnels to the IPv4 server and client the address embeds; benchmarking, ORCHID.
        || (s[0] == 0x2001 && s[1] < 0x0200)
        // 6to4 2002::/16 (RFC 3056, deprecated by RFC 7526): a relay sends the packet to
        // the IPv4 address in bits 16–47, private or not. Blocked whole: no public
        // service is reachable only through 6to4 any more.
        || s[0] == 0x2002)
}

/// Refuses a URL whose host is an IP literal that is not public, or that is not
/// `http(s)`. Names are left to [`GuardedResolver`].
pub fn check_url(url: &url::Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme {:?} is not http or https",
            url.scheme()
        ));
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(_)) => None,
        None => return Err("the URL has no host".to_owned()),
    };
    match literal {
        Some(ip) if !is_public(ip) => Err(format!(
            "{ip} is not a public address (clients.http.disallow_private_ip_ranges)"
        )),
        _ => Ok(()),
    }
}

/// A resolver that drops every non-public address and fails when none is left.
#[derive(Debug, Default, Clone, Copy)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| is_public(addr.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (clients.http.disallow_private_ip_ranges)"
                )
                .into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ips: &[&str]) {
        for ip in ips {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(!is_public(parsed), "{ip} must not be public");
        }
    }

    fn allowed(ips: &[&str]) {
        for ip in ips {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(is_public(parsed), "{ip} is public");
        }
    }

    #[test]
    fn ipv4_special_ranges_are_refused_at_both_ends() {
        refused(&[
            "0.0.0.0",
            "0.255.255.255",
            "10.0.0.0",
            "10.255.255.255",
            "100.64.0.0", // RFC 6598 shared address space (CGNAT)
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.255",
            "169.254.0.0",
            "169.254.169.254",
            "172.16.0.0",
            "172.31.255.255",
            "192.0.0.0", // IETF protocol assignments
            "192.0.0.255",
            "192.0.2.1",   // TEST-NET-1
            "192.88.99.1", // 6to4 relay anycast
            "192.168.0.0",
            "192.168.255.255",
            "198.18.0.0", // benchmarking 198.18/15
            "198.19.255.255",
            "198.51.100.1", // TEST-NET-2
            "203.0.113.1",  // TEST-NET-3
            "224.0.0.1",    // multicast
            "239.255.255.255",
            "240.0.0.1", // reserved
            "255.255.255.255",
        ]);
    }

    #[test]
    fn ipv4_neighbours_of_special_ranges_are_public() {
        allowed(&[
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ]);
    }

    #[test]
    fn ipv4_mapped_ffff_96_is_judged_by_its_ipv4() {
        refused(&[
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "::ffff:0.0.0.0",
        ]);
        allowed(&["::ffff:8.8.8.8"]);
    }

    #[test]
    fn ipv4_compatible_96_is_judged_by_its_ipv4() {
        refused(&[
            "::",
            "::1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::0.0.0.2",
            "::192.168.1.1",
        ]);
        allowed(&["::8.8.8.8"]);
    }

    #[test]
    fn ipv4_translated_ffff_0_96_is_judged_by_its_ipv4() {
        refused(&[
            "::ffff:0:127.0.0.1",
            "::ffff:0:10.0.0.1",
            "::ffff:0:169.254.169.254",
        ]);
        allowed(&["::ffff:0:8.8.8.8"]);
    }

    #[test]
    fn nat64_well_known_prefix_is_judged_by_its_ipv4() {
        refused(&[
            "64:ff9b::a00:1",       // 10.0.0.1
            "64:ff9b::7f00:1",      // 127.0.0.1
            "64:ff9b::a9fe:a9fe",   // 169.254.169.254
            "64:ff9b::c0a8:101",    // 192.168.1.1
            "64:ff9b::6440:1",      // 100.64.0.1
            "64:ff9b::1:0:0:a00:1", // not the /96 form: outside 2000::/3
        ]);
        allowed(&["64:ff9b::808:808", "64:ff9b::1.1.1.1"]);
    }

    #[test]
    fn nat64_local_use_prefix_is_refused_whole() {
        // RFC 8215 64:ff9b:1::/48, whatever IPv4 address it may carry.
        refused(&[
            "64:ff9b:1::",
            "64:ff9b:1::808:808",
            "64:ff9b:1:808:800::",
            "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
        ]);
    }

    #[test]
    fn six_to_four_is_refused_whole() {
        // 2002:AABB:CCDD::/48 carries the IPv4 address AA.BB.CC.DD.
        refused(&[
            "2002:7f00:1::1",   // 127.0.0.1
            "2002:a00:1::1",    // 10.0.0.1
            "2002:a9fe:a9fe::", // 169.254.169.254
            "2002:c0a8:101::1", // 192.168.1.1
            "2002:808:808::1",  // 8.8.8.8: 6to4 is deprecated, refused too
            "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ]);
        allowed(&["2001:4860:4860::8888", "2003::1"]);
    }

    #[test]
    fn teredo_and_other_ietf_assignments_are_refused() {
        refused(&[
            "2001::1",                              // Teredo 2001::/32
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo with obfuscated IPv4
            "2001:2::1",                            // benchmarking 2001:2::/48
            "2001:10::1",                           // ORCHID
            "2001:20::1",                           // ORCHIDv2
            "2001:1ff:ffff::1",                     // last of 2001::/23
        ]);
        allowed(&["2001:200::1"]);
    }

    #[test]
    fn ipv6_special_ranges_are_refused() {
        refused(&[
            "fc00::1",      // unique local
            "fd12:3456::1", // unique local
            "fe80::1",      // link-local
            "febf::1",
            "fec0::1", // site-local (deprecated)
            "ff02::1", // multicast
            "ff0e::1",
            "2001:db8::1", // documentation
            "3fff::1",     // documentation (RFC 9637)
            "3fff:fff::1",
            "100::1",  // discard-only
            "5f00::1", // SRv6 SIDs
            "4000::1", // reserved
            "c000::1", // reserved
            "1fff:ffff::1",
        ]);
        allowed(&[
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "3ffe::1",
            "3fff:1000::1",
        ]);
    }

    #[test]
    fn ip_literal_urls_are_checked() {
        let check = |u: &str| check_url(&url::Url::parse(u).unwrap());
        assert!(check("http://127.0.0.1:8080/jwks").is_err());
        assert!(check("https://[::1]/jwks").is_err());
        assert!(check("https://[2002:7f00:1::1]/jwks").is_err());
        assert!(check("https://[64:ff9b:1::a00:1]/jwks").is_err());
        assert!(check("https://[::ffff:0:7f00:1]/jwks").is_err());
        assert!(check("file:///etc/passwd").is_err());
        assert!(check("https://8.8.8.8/jwks").is_ok());
        assert!(check("https://client.example/jwks").is_ok());
    }
}
