//! ACL 1.0 permission bits and their checks, as RocketMQ's `Permission` has them.

/// Nothing allowed (also what an unreadable permission string means).
pub const DENY: u8 = 1;
/// Either PUB or SUB is enough.
pub const ANY: u8 = 1 << 1;
/// Send to a topic.
pub const PUB: u8 = 1 << 2;
/// Consume from a topic, or act as a consumer group.
pub const SUB: u8 = 1 << 3;

/// Reads `PUB`, `SUB`, `PUB|SUB` / `SUB|PUB` or `DENY`; anything else is `None`.
#[must_use]
pub fn parse(text: &str) -> Option<u8> {
    match text.trim() {
        "PUB" => Some(PUB),
        "SUB" => Some(SUB),
        "PUB|SUB" | "SUB|PUB" => Some(PUB | SUB),
        "DENY" => Some(DENY),
        _ => None,
    }
}

/// Whether `owned` grants `needed`: DENY grants nothing, ANY needs PUB or SUB.
#[must_use]
pub fn grants(owned: u8, needed: u8) -> bool {
    if owned & DENY != 0 {
        return false;
    }
    if needed & ANY != 0 {
        return owned & (PUB | SUB) != 0;
    }
    needed & owned != 0
}

/// The name a permission bit set is written with.
#[must_use]
pub fn name(perm: u8) -> &'static str {
    match perm {
        PUB => "PUB",
        SUB => "SUB",
        p if p == PUB | SUB => "PUB|SUB",
        ANY => "ANY",
        _ => "DENY",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_wins_and_any_needs_pub_or_sub() {
        assert!(grants(PUB | SUB, PUB));
        assert!(!grants(SUB, PUB));
        assert!(!grants(DENY | PUB, PUB));
        assert!(grants(SUB, ANY));
        assert!(!grants(DENY, ANY));
        assert_eq!(parse(" SUB|PUB "), Some(PUB | SUB));
        assert_eq!(parse("RW"), None);
    }
}
