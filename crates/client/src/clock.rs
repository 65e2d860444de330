//! Wall-clock time as the protocol counts it.

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis()))
        .unwrap_or(0)
}
