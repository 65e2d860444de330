//! Message ids: the broker's offset id and the client's unique id (UNIQ_KEY).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};

fn hex(bytes: &[u8]) -> String {
    // By table, not `write!("{:02X}")`: one id per stored message, formatting showed in profiles.
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    s
}

/// The offset message id: store IP, port (i32) and commit-log offset (i64), uppercase hex.
#[must_use]
pub fn offset_msg_id(store_host: &SocketAddr, phy_offset: i64) -> String {
    let mut b = Vec::with_capacity(28);
    match store_host.ip() {
        IpAddr::V4(ip) => b.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => b.extend_from_slice(&ip.octets()),
    }
    b.extend_from_slice(&i32::from(store_host.port()).to_be_bytes());
    b.extend_from_slice(&phy_offset.to_be_bytes());
    hex(&b)
}

/// Decodes an offset message id into the broker address and commit-log offset.
#[must_use]
pub fn decode_offset_msg_id(id: &str) -> Option<(SocketAddr, i64)> {
    let bytes: Vec<u8> = (0..id.len())
        .step_by(2)
        .map(|i| id.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()?;
    let (ip, rest): (IpAddr, &[u8]) = match bytes.len() {
        16 => (IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]]), &bytes[4..]),
        28 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&bytes[..16]);
            (IpAddr::from(a), &bytes[16..])
        }
        _ => return None,
    };
    let port = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let mut off = [0u8; 8];
    off.copy_from_slice(&rest[4..12]);
    Some((SocketAddr::new(ip, u16::try_from(port).ok()?), i64::from_be_bytes(off)))
}

static COUNTER: AtomicU16 = AtomicU16::new(0);

/// Generates client unique ids in the official layout: ip (4 or 16) | pid low 16 bits |
/// class-loader hash (random per process here) | ms since the start of the month | counter.
#[derive(Debug, Clone)]
pub struct UniqueIdGenerator {
    prefix: Vec<u8>,
    month_start_ms: i64,
}

impl UniqueIdGenerator {
    /// A generator for this process on `ip`.
    #[must_use]
    pub fn new(ip: IpAddr, month_start_ms: i64) -> Self {
        let mut prefix = Vec::with_capacity(22);
        match ip {
            IpAddr::V4(v4) => prefix.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => prefix.extend_from_slice(&v6.octets()),
        }
        let pid = u16::try_from(std::process::id() & 0xFFFF).unwrap_or(0);
        prefix.extend_from_slice(&pid.to_be_bytes());
        let loader = std::process::id().wrapping_mul(2_654_435_761) ^ 0x5bd1_e995;
        prefix.extend_from_slice(&loader.to_be_bytes());
        Self { prefix, month_start_ms }
    }

    /// A generator for this process on `ip` whose ids count from the start of this month (UTC).
    #[must_use]
    pub fn starting_now(ip: IpAddr) -> Self {
        Self::new(ip, crate::time::month_start_ms(crate::time::now_ms()))
    }

    /// A new id for a message born at `now_ms`.
    #[must_use]
    pub fn next(&self, now_ms: i64) -> String {
        let mut b = self.prefix.clone();
        let since = i32::try_from((now_ms - self.month_start_ms).max(0)).unwrap_or(i32::MAX);
        b.extend_from_slice(&since.to_be_bytes());
        b.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        hex(&b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_id_round_trip() {
        let addr: SocketAddr = "127.0.0.1:10911".parse().unwrap();
        let id = offset_msg_id(&addr, 4096);
        assert_eq!(id, "7F00000100002A9F0000000000001000");
        assert_eq!(decode_offset_msg_id(&id), Some((addr, 4096)));
        assert_eq!(decode_offset_msg_id("XYZ"), None);
    }

    #[test]
    fn unique_ids_are_32_hex_chars_and_distinct() {
        let g = UniqueIdGenerator::new("10.1.2.3".parse().unwrap(), 0);
        let a = g.next(1000);
        let b = g.next(1000);
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.starts_with("0A010203"));
    }
}
