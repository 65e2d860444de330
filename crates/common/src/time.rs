//! Calendar formatting of epoch milliseconds without a time-zone database: UTC only.
//!
//! RocketMQ names index files `yyyyMMddHHmmssSSS` and shows store times as dates; this module
//! does the civil-date arithmetic (Howard Hinnant's days-from-civil algorithm, inverted).
//! [`now_ms`] is the one wall clock the protocol's timestamps are read from.

/// Milliseconds since the Unix epoch (0 before it, `i64::MAX` past the year 292 million).
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The start of the UTC month of `now` (epoch ms): the epoch of message unique ids.
#[must_use]
pub fn month_start_ms(now: i64) -> i64 {
    let c = Civil::from_millis(now);
    Civil { day: 1, hour: 0, minute: 0, second: 0, millis: 0, ..c }.to_millis()
}

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Millisecond 0–999.
    pub millis: u32,
}

impl Civil {
    /// Splits epoch milliseconds (UTC).
    #[must_use]
    pub fn from_millis(ms: i64) -> Self {
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let field = |v: i64| u32::try_from(v).unwrap_or(0);
        Self {
            year,
            month,
            day,
            hour: field(in_day / 3_600_000),
            minute: field(in_day / 60_000 % 60),
            second: field(in_day / 1000 % 60),
            millis: field(in_day % 1000),
        }
    }

    /// Epoch milliseconds of this time.
    #[must_use]
    pub fn to_millis(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400_000
            + i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millis)
    }
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `yyyyMMddHHmmssSSS` (17 digits), as RocketMQ names index files.
#[must_use]
pub fn compact_millis(ms: i64) -> String {
    let c = Civil::from_millis(ms);
    format!("{:04}{:02}{:02}{:02}{:02}{:02}{:03}", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

/// Parses `yyyyMMddHHmmssSSS` back to epoch milliseconds.
#[must_use]
pub fn parse_compact_millis(s: &str) -> Option<i64> {
    if s.len() != 17 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let c = Civil {
        year: i64::from(n(0..4)?),
        month: n(4..6)?,
        day: n(6..8)?,
        hour: n(8..10)?,
        minute: n(10..12)?,
        second: n(12..14)?,
        millis: n(14..17)?,
    };
    if !(1..=12).contains(&c.month) || !(1..=31).contains(&c.day) || c.hour > 23 || c.minute > 59 || c.second > 59 {
        return None;
    }
    Some(c.to_millis())
}

/// `yyyy-MM-dd HH:mm:ss.SSS UTC`, for humans.
#[must_use]
pub fn display_millis(ms: i64) -> String {
    let c = Civil::from_millis(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} UTC",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_start_is_the_first_of_the_month_at_midnight() {
        // 2000-02-29T00:00:00.005Z → 2000-02-01T00:00:00Z.
        assert_eq!(month_start_ms(951_782_400_000 + 5), 949_363_200_000);
    }

    #[test]
    fn known_instants() {
        assert_eq!(compact_millis(0), "19700101000000000");
        // 2026-11-24T07:57:11.123Z
        assert_eq!(compact_millis(1_795_507_031_123), "20261124075711123");
        assert_eq!(display_millis(951_782_400_000), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(compact_millis(-1), "19691231235959999");
    }

    #[test]
    fn now_is_after_2020() {
        // 2020-01-01T00:00:00Z; a clock before it is broken, not "now".
        assert!(now_ms() > 1_577_836_800_000);
    }

    #[test]
    fn round_trips() {
        for ms in [0, 1, 951_782_400_000, 1_795_507_031_123, 4_102_444_800_000, -86_400_001] {
            assert_eq!(parse_compact_millis(&compact_millis(ms)), Some(ms), "{ms}");
        }
        assert_eq!(parse_compact_millis("2026112407571112"), None);
        assert_eq!(parse_compact_millis("20261324075711123"), None);
    }
}
