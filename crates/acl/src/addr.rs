//! Remote address patterns of plain_acl.yml (`whiteRemoteAddress`,
//! `globalWhiteRemoteAddresses`), as RocketMQ's `RemoteAddressStrategyFactory` reads them:
//! `*` (or `*.*.*.*`), an exact address, a list `a.b.c.d,e.f.g.h`, `192.168.0.{1,2}`, and
//! per-segment `*` or ranges `192.168.1-10.*`. Matched against the peer's address as an
//! `IpAddr`, so a check formats no text.

use std::net::IpAddr;

use crate::error::AclError;

/// One IPv4 segment pattern: any value, or an inclusive range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Lowest value.
    pub low: u8,
    /// Highest value.
    pub high: u8,
}

/// A parsed address pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrPattern {
    /// Matches every address.
    Any,
    /// Matches none (an empty pattern).
    Nothing,
    /// Any of these exact addresses (IPv4 or IPv6; anything else is refused, as RocketMQ does).
    Exact(Vec<IpAddr>),
    /// Four IPv4 segment patterns.
    Segments([Segment; 4]),
    /// The last segment is one of these values (`192.168.0.{1,2}`).
    Last([u8; 3], Vec<u8>),
}

impl AddrPattern {
    /// Reads a pattern; a malformed one is an error (the file is then refused whole).
    pub fn parse(text: &str) -> Result<Self, AclError> {
        let text = text.trim();
        let bad = || AclError::Address(text.to_owned());
        if text.is_empty() {
            return Ok(Self::Nothing);
        }
        if text == "*" || text == "*.*.*.*" {
            return Ok(Self::Any);
        }
        if let Some(open) = text.find('{') {
            return parse_braces(text, open).ok_or_else(bad);
        }
        if !text.contains(',') && (text.contains('*') || text.contains('-')) {
            return parse_segments(text).ok_or_else(bad);
        }
        let list = text.split(',').map(|s| s.trim().parse::<IpAddr>().map(|a| a.to_canonical()));
        list.collect::<Result<Vec<_>, _>>().map(Self::Exact).map_err(|_| bad())
    }

    /// Whether `ip` (an address as text, no port) matches; text that is no address matches
    /// only `Any`.
    #[must_use]
    pub fn matches(&self, ip: &str) -> bool {
        match ip.parse::<IpAddr>() {
            Ok(addr) => self.matches_ip(addr),
            Err(_) => *self == Self::Any,
        }
    }

    /// Whether `ip` matches (an IPv4-mapped IPv6 address as its IPv4 address).
    #[must_use]
    pub fn matches_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        let v4 = match ip {
            IpAddr::V4(a) => Some(a.octets()),
            IpAddr::V6(_) => None,
        };
        match self {
            Self::Any => true,
            Self::Nothing => false,
            Self::Exact(list) => list.contains(&ip),
            Self::Segments(segs) => v4.is_some_and(|o| o.iter().zip(segs).all(|(v, s)| (s.low..=s.high).contains(v))),
            Self::Last(head, tails) => v4.is_some_and(|o| o[..3] == head[..] && tails.contains(&o[3])),
        }
    }
}

fn octets(ip: &str) -> Option<[u8; 4]> {
    ip.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets())
}

fn parse_braces(text: &str, open: usize) -> Option<AddrPattern> {
    let head = text[..open].strip_suffix('.')?;
    let inner = text[open + 1..].strip_suffix('}')?;
    let head = octets(&format!("{head}.0"))?;
    let tails = inner.split(',').map(|s| s.trim().parse::<u8>().ok()).collect::<Option<Vec<_>>>()?;
    Some(AddrPattern::Last([head[0], head[1], head[2]], tails))
}

fn parse_segments(text: &str) -> Option<AddrPattern> {
    let mut parts: Vec<&str> = text.split('.').collect();
    while parts.len() < 4 && parts.last() == Some(&"*") {
        parts.push("*");
    }
    if parts.len() != 4 {
        return None;
    }
    let mut segs = [Segment { low: 0, high: 255 }; 4];
    for (seg, part) in segs.iter_mut().zip(&parts) {
        *seg = parse_segment(part)?;
    }
    Some(AddrPattern::Segments(segs))
}

fn parse_segment(part: &str) -> Option<Segment> {
    if part == "*" {
        return Some(Segment { low: 0, high: 255 });
    }
    if let Some((a, b)) = part.split_once('-') {
        let (low, high) = (a.parse().ok()?, b.parse().ok()?);
        return (low <= high).then_some(Segment { low, high });
    }
    let v = part.parse().ok()?;
    Some(Segment { low: v, high: v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, ip: &str) -> bool {
        AddrPattern::parse(p).unwrap().matches(ip)
    }

    #[test]
    fn patterns_match_as_rocketmq_reads_them() {
        assert!(m("*", "10.1.2.3"));
        assert!(m("127.0.0.1", "127.0.0.1"));
        assert!(!m("127.0.0.1", "127.0.0.2"));
        assert!(m("10.0.0.1, 127.0.0.1", "127.0.0.1"));
        assert!(m("192.168.0.{1,2}", "192.168.0.2"));
        assert!(!m("192.168.0.{1,2}", "192.168.0.3"));
        assert!(m("192.168.1-10.*", "192.168.5.77"));
        assert!(!m("192.168.1-10.*", "192.168.11.1"));
        assert!(m("192.*", "192.1.2.3"));
        assert!(!m("", "127.0.0.1"));
        assert!(AddrPattern::parse("192.168.x.*").is_err());
        assert!(AddrPattern::parse("1.2.3.{a}").is_err());
        assert!(AddrPattern::parse("localhost").is_err(), "an exact entry is an address");
        assert!(m("::1, 10.0.0.1", "::1"));
        assert!(m("127.0.0.1", "::ffff:127.0.0.1"), "a mapped IPv6 peer is its IPv4 address");
        assert!(!m("127.0.0.1", "not an address"));
    }
}
