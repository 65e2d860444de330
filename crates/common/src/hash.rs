//! Java's `String.hashCode()`, used for tag codes and index keys.

/// `String.hashCode()` over UTF-16 code units, as a signed int.
#[must_use]
pub fn java_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

/// The tag code stored in a consume queue: the hash sign-extended (0 for no tag).
#[must_use]
pub fn tag_code(tag: Option<&str>) -> i64 {
    tag.filter(|t| !t.is_empty()).map_or(0, |t| i64::from(java_hash(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java() {
        assert_eq!(java_hash("TagA"), 2_598_919);
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("hello"), 99_162_322);
        // Overflow wraps like Java ints.
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        // Non-BMP characters count as two UTF-16 units.
        assert_eq!(java_hash("\u{1F600}"), 1_772_899);
    }
}
