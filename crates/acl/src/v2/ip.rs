//! Source addresses of ACL 2.0 entries (RocketMQ's `IPAddressUtils`): an exact address or a
//! CIDR block, IPv4 or IPv6.

use std::net::IpAddr;

/// Whether `text` is an address or a CIDR block (what an entry may hold).
#[must_use]
pub fn valid(text: &str) -> bool {
    match text.split_once('/') {
        None => text.parse::<IpAddr>().is_ok(),
        Some((addr, bits)) => block(addr, bits).is_some(),
    }
}

/// Whether `ip` is `pattern` (an address) or inside it (a CIDR block).
#[must_use]
pub fn matches(ip: &str, pattern: &str) -> bool {
    let Some((addr, bits)) = pattern.split_once('/') else {
        return ip == pattern;
    };
    let (Some((base, mask)), Ok(ip)) = (block(addr, bits), ip.parse::<IpAddr>()) else {
        return false;
    };
    let value = match (ip, base) {
        (IpAddr::V4(a), IpAddr::V4(_)) => u128::from(u32::from(a)),
        (IpAddr::V6(a), IpAddr::V6(_)) => u128::from(a),
        _ => return false,
    };
    value & mask == bits_of(base) & mask
}

/// The block's base address and mask, if the text is one.
fn block(addr: &str, bits: &str) -> Option<(IpAddr, u128)> {
    let base: IpAddr = addr.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    let width = if base.is_ipv4() { 32 } else { 128 };
    if bits > width {
        return None;
    }
    let full = if width == 32 { u128::from(u32::MAX) } else { u128::MAX };
    let mask = full & !full.checked_shr(bits).unwrap_or(0);
    Some((base, mask))
}

fn bits_of(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_blocks() {
        assert!(matches("10.1.2.3", "10.1.2.3"));
        assert!(!matches("10.1.2.4", "10.1.2.3"));
        assert!(matches("10.1.2.3", "10.0.0.0/8"));
        assert!(!matches("11.1.2.3", "10.0.0.0/8"));
        assert!(matches("192.168.1.200", "192.168.1.128/25"));
        assert!(!matches("192.168.1.100", "192.168.1.128/25"));
        assert!(matches("1.2.3.4", "0.0.0.0/0"));
        assert!(matches("::1", "::1/128"));
        assert!(!matches("::1", "10.0.0.0/8"));
        assert!(valid("10.0.0.0/8") && valid("::1") && valid("1.2.3.4"));
        assert!(!valid("10.0.0.0/33") && !valid("10.0.0.*") && !valid("x/8"));
    }
}
