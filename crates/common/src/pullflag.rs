//! Pull request sys flag bits (`PullSysFlag`), the `sysFlag` header of PULL_MESSAGE.

/// Commit the consumer offset carried in the request.
pub const COMMIT_OFFSET: i32 = 0x1;
/// Long polling: park the request until messages arrive.
pub const SUSPEND: i32 = 0x2;
/// The request carries its subscription expression.
pub const SUBSCRIPTION: i32 = 0x4;
/// Class filter mode (filter server; unused by us).
pub const CLASS_FILTER: i32 = 0x8;
/// A lite pull consumer's request.
pub const LITE_PULL: i32 = 0x10;

/// The sys flag of a pull request, as `PullSysFlag.buildSysFlag`.
#[must_use]
pub const fn build(commit_offset: bool, suspend: bool, subscription: bool, class_filter: bool) -> i32 {
    let mut flag = 0;
    if commit_offset {
        flag |= COMMIT_OFFSET;
    }
    if suspend {
        flag |= SUSPEND;
    }
    if subscription {
        flag |= SUBSCRIPTION;
    }
    if class_filter {
        flag |= CLASS_FILTER;
    }
    flag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_like_java() {
        assert_eq!(build(false, false, false, false), 0);
        assert_eq!(build(true, true, true, false), 0x7);
        assert_eq!(build(false, true, true, false), 0x6);
        assert_eq!(build(false, false, false, true), 0x8);
    }
}
