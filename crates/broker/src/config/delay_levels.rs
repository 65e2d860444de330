//! Delay levels (`messageDelayLevel`): level n (1-based) ↔ queue n−1 of SCHEDULE_TOPIC_XXXX.

use std::time::Duration;

/// Parses `"1s 5s 10s 30s 1m ... 2h"` into durations; units s, m, h, d.
pub fn parse_delay_levels(text: &str) -> Result<Vec<Duration>, String> {
    let mut out = Vec::new();
    for item in text.split_whitespace() {
        let (num, unit) = item.split_at(item.len() - item.chars().last().map_or(0, char::len_utf8));
        let n: u64 = num.parse().map_err(|_| format!("bad delay level {item:?}"))?;
        let secs = match unit {
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86_400,
            _ => return Err(format!("bad delay unit in {item:?}: use s, m, h or d")),
        };
        out.push(Duration::from_secs(secs));
    }
    if out.is_empty() {
        return Err("no delay levels".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_official_default() {
        let v = parse_delay_levels("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h").unwrap();
        assert_eq!(v.len(), 18);
        assert_eq!(v[4], Duration::from_secs(60));
        assert_eq!(v[17], Duration::from_secs(7200));
        assert!(parse_delay_levels("1x").is_err());
        assert!(parse_delay_levels("").is_err());
    }
}
