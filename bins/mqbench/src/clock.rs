//! Wall-clock helpers: epoch milliseconds and the official tool's `yyyy-MM-dd HH:mm:ss,SSS`
//! timestamp (printed in UTC, which is what scripts/bench/analyze.py assumes).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `ms` since the epoch as `yyyy-MM-dd HH:mm:ss,SSS` (UTC).
pub fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02},{:03}", rem / 3600, rem / 60 % 60, rem % 60, ms % 1000)
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (era arithmetic: 400-year cycles
/// of 146,097 days, years starting in March so the leap day ends a year).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
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
