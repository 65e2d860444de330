//! Times as `mqadmin` reads and prints them. As the official tool, times without a zone are
//! local time (the system zone, or `TZ`): `yyyy-MM-dd#HH:mm:ss:SSS` (its form) and ISO
//! `yyyy-MM-ddTHH:mm:ss[.SSS]`; either may end with an explicit offset (`Z`, `+08:00`,
//! `+0800`), which wins. `now` and epoch milliseconds are accepted too. Printed times are
//! local, `yyyy-MM-dd HH:mm:ss,SSS` as `UtilAll.timeMillisToHumanString2`.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use rmq_common::time::Civil;

use crate::{AdminError, Result};

/// Parses `now`, epoch milliseconds, or a date-time (local unless it carries an offset).
pub fn parse_timestamp(text: &str) -> Result<i64> {
    parse_in(text, &TimeZone::system())
}

/// [`parse_timestamp`] with the zone for times without an offset.
pub fn parse_in(text: &str, tz: &TimeZone) -> Result<i64> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(rmq_common::time::now_ms());
    }
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let (civil_text, offset) = split_offset(text);
    let civil = parse_civil(civil_text);
    match (civil, offset) {
        (Some(c), Some(Some(offset_s))) => Ok(c.to_millis() - offset_s * 1000),
        (Some(c), None) => Ok(local_to_utc(c.to_millis(), tz)),
        _ => Err(AdminError::Invalid(format!(
            "bad timestamp {text:?}: expected now, epoch ms, yyyy-MM-dd#HH:mm:ss:SSS or yyyy-MM-ddTHH:mm:ss.SSS, \
             local time unless followed by Z or an offset such as +08:00"
        ))),
    }
}

/// Splits a trailing `Z` / `±HH:MM` / `±HHMM` / `±HH`; `Some(None)` for a malformed offset.
fn split_offset(text: &str) -> (&str, Option<Option<i64>>) {
    if let Some(rest) = text.strip_suffix(['Z', 'z']) {
        return (rest, Some(Some(0)));
    }
    // The sign of an offset comes after the time's colons (dates use '-', so search past 'T'/'#').
    let time_start = text.find(['T', '#', ' ']).map_or(text.len(), |i| i + 1);
    let Some(pos) = text[time_start..].rfind(['+', '-']).map(|p| p + time_start) else { return (text, None) };
    let (sign, digits) = (if &text[pos..=pos] == "-" { -1 } else { 1 }, text[pos + 1..].replace(':', ""));
    let parsed = match digits.len() {
        2 | 4 if digits.bytes().all(|b| b.is_ascii_digit()) => {
            let h: i64 = digits[..2].parse().unwrap_or(0);
            let m: i64 = if digits.len() == 4 { digits[2..].parse().unwrap_or(0) } else { 0 };
            (h < 24 && m < 60).then_some(sign * (h * 3600 + m * 60))
        }
        _ => None,
    };
    (text[..pos].trim_end(), Some(parsed))
}

/// `yyyy-MM-dd#HH:mm:ss[:SSS]` or `yyyy-MM-ddTHH:mm:ss[.SSS]` (also with a space).
fn parse_civil(text: &str) -> Option<Civil> {
    let (date, time) = text.split_once(['#', 'T', ' '])?;
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let (hms, frac) = match time.split(':').count() {
        4 => time.rsplit_once(':')?,
        _ => time.split_once(['.', ',']).unwrap_or((time, "0")),
    };
    let mut t = hms.split(':');
    let hour: u32 = t.next()?.parse().ok()?;
    let minute: u32 = t.next()?.parse().ok()?;
    let second: u32 = t.next()?.parse().ok()?;
    let millis: u32 = frac.parse().ok()?;
    let ok = d.next().is_none()
        && t.next().is_none()
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
        && millis < 1000;
    ok.then_some(Civil { year, month, day, hour, minute, second, millis })
}

/// Offset of `tz` at the instant `ms`, seconds east of UTC.
fn offset_at(ms: i64, tz: &TimeZone) -> i64 {
    Timestamp::from_millisecond(ms).map_or(0, |t| i64::from(tz.to_offset(t).seconds()))
}

/// The instant whose wall-clock time in `tz` is `local_ms` (read as if UTC).
fn local_to_utc(local_ms: i64, tz: &TimeZone) -> i64 {
    let guess = local_ms - offset_at(local_ms, tz) * 1000;
    local_ms - offset_at(guess, tz) * 1000
}

/// `ms` as local `yyyy-MM-dd HH:mm:ss,SSS`.
#[must_use]
pub fn display(ms: i64) -> String {
    display_in(ms, &TimeZone::system())
}

/// [`display`] in `tz`.
#[must_use]
pub fn display_in(ms: i64, tz: &TimeZone) -> String {
    let c = Civil::from_millis(ms + offset_at(ms, tz) * 1000);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::fixed(jiff::tz::offset(8))
    }

    #[test]
    fn official_form_is_local_time() {
        let tz = shanghai();
        // 2000-02-29 08:00 in UTC+8 is midnight UTC.
        assert_eq!(parse_in("2000-02-29#08:00:00:000", &tz).unwrap(), 951_782_400_000);
        assert_eq!(parse_in("2000-02-29#08:00:01", &tz).unwrap(), 951_782_401_000);
        assert_eq!(parse_in("2000-02-29#00:00:00:000", &TimeZone::UTC).unwrap(), 951_782_400_000);
    }

    #[test]
    fn an_explicit_offset_wins_over_the_local_zone() {
        let tz = shanghai();
        assert_eq!(parse_in("2000-02-29#00:00:00:000Z", &tz).unwrap(), 951_782_400_000);
        assert_eq!(parse_in("2000-02-29T02:00:00.000+02:00", &tz).unwrap(), 951_782_400_000);
        assert_eq!(parse_in("2000-02-28T19:00:00-0500", &tz).unwrap(), 951_782_400_000);
        assert_eq!(parse_in("2000-02-29#08:00:00:000+08", &TimeZone::UTC).unwrap(), 951_782_400_000);
        assert!(parse_in("2000-02-29T00:00:00+25:00", &tz).is_err());
    }

    #[test]
    fn other_forms() {
        let tz = TimeZone::UTC;
        assert_eq!(parse_in("1700000000000", &tz).unwrap(), 1_700_000_000_000);
        assert!(parse_in("now", &tz).unwrap() > 1_700_000_000_000);
        assert!(parse_in("2000-13-01#00:00:00:000", &tz).is_err());
        assert!(parse_in("yesterday", &tz).is_err());
    }

    #[test]
    fn prints_local_time() {
        assert_eq!(display_in(951_782_401_123, &shanghai()), "2000-02-29 08:00:01,123");
        assert_eq!(display_in(951_782_401_123, &TimeZone::UTC), "2000-02-29 00:00:01,123");
    }

    #[test]
    fn local_time_across_a_dst_change() {
        let Ok(tz) = TimeZone::get("America/New_York") else { return };
        // 2021-07-01 12:00 EDT (UTC-4) = 16:00 UTC; 2021-01-01 12:00 EST (UTC-5) = 17:00 UTC.
        assert_eq!(parse_in("2021-07-01#12:00:00:000", &tz).unwrap(), 1_625_155_200_000);
        assert_eq!(parse_in("2021-01-01#12:00:00:000", &tz).unwrap(), 1_609_520_400_000);
    }
}
