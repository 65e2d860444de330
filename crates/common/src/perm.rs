//! Topic and queue permission bits (`PermName`): the `perm` field of topic configs, queue
//! data and broker registrations.

/// Priority queue (unused by us, kept for the full set of bits).
pub const PRIORITY: i32 = 0x8;
/// Readable.
pub const READ: i32 = 0x4;
/// Writable.
pub const WRITE: i32 = 0x2;
/// A template for auto-created topics (inherited by them).
pub const INHERIT: i32 = 0x1;
/// Readable and writable, the default of a new topic.
pub const READ_WRITE: i32 = READ | WRITE;

/// Whether `p` allows reads.
#[must_use]
pub const fn readable(p: i32) -> bool {
    p & READ != 0
}

/// Whether `p` allows writes.
#[must_use]
pub const fn writable(p: i32) -> bool {
    p & WRITE != 0
}

/// Whether `p` marks a template for auto-created topics.
#[must_use]
pub const fn inheritable(p: i32) -> bool {
    p & INHERIT != 0
}

/// `p` with the write bit set or cleared.
#[must_use]
pub const fn with_write(p: i32, writable: bool) -> i32 {
    if writable {
        p | WRITE
    } else {
        p & !WRITE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        assert_eq!(READ_WRITE, 6);
        assert!(readable(6) && writable(6) && !inheritable(6));
        assert!(readable(4) && !writable(4));
        assert!(!readable(2) && writable(2));
        assert!(inheritable(7));
        assert_eq!(with_write(4, true), 6);
        assert_eq!(with_write(7, false), 5);
    }
}
