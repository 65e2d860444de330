//! Timestamps as `mqadmin` accepts them: `now`, epoch milliseconds, or
//! `yyyy-MM-dd#HH:mm:ss:SSS` (read as UTC, the zone every time is shown in).

use rmq_common::time::Civil;

use crate::{AdminError, Result};

/// Parses `now`, epoch milliseconds, or `yyyy-MM-dd#HH:mm:ss:SSS` (UTC).
pub fn parse_timestamp(text: &str) -> Result<i64> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(rmq_common::time::now_ms());
    }
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    parse_date(text).ok_or_else(|| {
        AdminError::Invalid(format!("bad timestamp {text:?}: expected now, epoch ms or yyyy-MM-dd#HH:mm:ss:SSS"))
    })
}

fn parse_date(text: &str) -> Option<i64> {
    let (date, time) = text.split_once('#')?;
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let hour: u32 = t.next()?.parse().ok()?;
    let minute: u32 = t.next()?.parse().ok()?;
    let second: u32 = t.next()?.parse().ok()?;
    let millis: u32 = t.next().map_or(Some(0), |m| m.parse().ok())?;
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    let ok = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
        && millis < 1000;
    ok.then(|| Civil { year, month, day, hour, minute, second, millis }.to_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_official_forms() {
        assert_eq!(parse_timestamp("1700000000000").unwrap(), 1_700_000_000_000);
        assert_eq!(parse_timestamp("2000-02-29#00:00:00:000").unwrap(), 951_782_400_000);
        assert_eq!(parse_timestamp("2000-02-29#00:00:01").unwrap(), 951_782_401_000);
        assert!(parse_timestamp("now").unwrap() > 1_700_000_000_000);
        assert!(parse_timestamp("2000-13-01#00:00:00:000").is_err());
        assert!(parse_timestamp("yesterday").is_err());
    }
}
