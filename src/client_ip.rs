//! The client's IP address: the peer's address, or, behind proxies the application trusts
//! explicitly, the nearest `X-Forwarded-For` hop that is not one of them.
//!
//! Better-Auth believes a single-hop `X-Forwarded-For` from anyone; that lets any client choose
//! the address its rate limits and session records are keyed by, so authgate ignores the
//! header unless the peer is a configured proxy.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap};

/// A trusted proxy that is neither an IP address nor a CIDR range.
#[derive(Debug, thiserror::Error)]
#[error("trusted proxy {0:?} is not an IP address or CIDR range (such as 10.0.0.0/8)")]
pub struct InvalidProxy(String);

/// One address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((addr, prefix)) => (
                addr.parse::<IpAddr>().ok()?,
                Some(prefix.parse::<u8>().ok()?),
            ),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self {
            network: addr,
            prefix,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub(crate) fn parse(values: &[String]) -> Result<Self, InvalidProxy> {
        values
            .iter()
            .map(|v| Cidr::parse(v).ok_or_else(|| InvalidProxy(v.clone())))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(ip))
    }

    /// The client address for a request from `peer` (unknown without `ConnectInfo`).
    ///
    /// Behind trusted proxies, `X-Forwarded-For` is walked from the right, skipping trusted
    /// hops; a trusted proxy that names no client leaves the client unknown.
    pub(crate) fn client_ip(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|hop| !hop.is_empty())
            .collect::<Vec<_>>();
        while let Some(hop) = hops.pop() {
            let ip = canonical(hop.parse::<IpAddr>().ok()?);
            if !self.trusts(ip) {
                return Some(ip);
            }
        }
        None
    }
}

/// The peer address axum recorded, when the app was served with `ConnectInfo<SocketAddr>`.
pub(crate) fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(&headers("203.0.113.7"), Some(ip("198.51.100.1"))),
            Some(ip("198.51.100.1"))
        );
        assert_eq!(none.client_ip(&headers("203.0.113.7"), None), None);
    }

    #[test]
    fn walks_the_header_from_the_right_past_trusted_hops() {
        let proxies = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        let loopback = Some(ip("127.0.0.1"));
        assert_eq!(
            proxies.client_ip(&headers("203.0.113.7"), loopback),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            proxies.client_ip(&headers("1.1.1.1, 203.0.113.7, 10.1.2.3"), loopback),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(proxies.client_ip(&HeaderMap::new(), loopback), None);
        assert_eq!(proxies.client_ip(&headers("garbage"), loopback), None);
        // An untrusted peer's header is not believed.
        assert_eq!(
            proxies.client_ip(&headers("203.0.113.7"), Some(ip("192.0.2.9"))),
            Some(ip("192.0.2.9"))
        );
    }

    #[test]
    fn mapped_ipv6_and_ranges() {
        let proxies = TrustedProxies::parse(&["::1".into(), "fd00::/8".into()]).unwrap();
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(!proxies.trusts(ip("fe80::1")));
        assert_eq!(canonical(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["example.com".into()]).is_err());
        assert!(
            TrustedProxies::parse(&["0.0.0.0/0".into()])
                .unwrap()
                .trusts(ip("8.8.8.8"))
        );
    }
}
