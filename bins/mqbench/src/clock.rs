//! Wall-clock helpers: epoch milliseconds and the official tool's `yyyy-MM-dd HH:mm:ss,SSS`
//! timestamp (printed in UTC, which is what scripts/bench/analyze.py assumes).

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    u64::try_from(rmq_common::time::now_ms()).unwrap_or(0)
}

/// `ms` since the epoch as `yyyy-MM-dd HH:mm:ss,SSS` (UTC).
pub fn format_utc(ms: u64) -> String {
    let c = rmq_common::time::Civil::from_millis(i64::try_from(ms).unwrap_or(i64::MAX));
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00,000");
        // 2000-02-29 is a leap day; 2026-11-29 17:45:29.123 UTC.
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00:00,000");
        assert_eq!(format_utc(1_795_974_329_123), "2026-11-29 17:45:29,123");
        assert_eq!(format_utc(4_107_542_399_999), "2100-02-28 23:59:59,999");
    }
}
