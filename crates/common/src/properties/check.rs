//! Table-driven checks of config values: numeric bounds and text formats, each failure naming
//! the key, the value and what is allowed.

use std::net::IpAddr;

use super::ConfigError;

/// The allowed shape of one key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// An integer within `min..=max`.
    Range(i128, i128),
    /// An IPv4 or IPv6 address (empty allowed only for optional keys).
    Ip,
    /// `host:port`, or several separated by `;` when `list`.
    HostPort {
        /// Whether a `;`-separated list is allowed.
        list: bool,
    },
    /// Hours of the day `0..=23`, separated by `;` (`04`, `01;04`).
    Hours,
    /// Not empty (after trimming).
    NonEmpty,
}

/// One row of a config's check table.
pub type Check = (&'static str, Rule);

/// Checks rendered `(key, value)` pairs against a table; empty values (unset optional keys)
/// pass every rule but `NonEmpty`.
pub fn check_all(pairs: &[(&'static str, String)], table: &[Check]) -> Result<(), ConfigError> {
    for (key, rule) in table {
        if let Some((_, value)) = pairs.iter().find(|(k, _)| k == key) {
            check(key, value, *rule)?;
        }
    }
    Ok(())
}

/// Checks one value.
pub fn check(key: &str, value: &str, rule: Rule) -> Result<(), ConfigError> {
    let value = value.trim();
    let ok = match rule {
        Rule::NonEmpty => !value.is_empty(),
        _ if value.is_empty() => true,
        Rule::Range(min, max) => value.parse::<i128>().is_ok_and(|v| (min..=max).contains(&v)),
        Rule::Ip => value.parse::<IpAddr>().is_ok(),
        Rule::HostPort { list } => {
            let mut parts = value.split(';').map(str::trim).filter(|p| !p.is_empty()).peekable();
            parts.peek().is_some() && (list || value.split(';').count() == 1) && parts.all(is_host_port)
        }
        Rule::Hours => value.split(';').all(|h| h.trim().parse::<u8>().is_ok_and(|h| h <= 23)),
    };
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid { key: key.to_owned(), reason: format!("{value:?} is not {}", describe(rule)) })
    }
}

/// What a rule allows, for messages and docs.
#[must_use]
pub fn describe(rule: Rule) -> String {
    match rule {
        Rule::Range(min, max) => format!("within {min}..={max}"),
        Rule::Ip => "an IP address".to_owned(),
        Rule::HostPort { list: false } => "host:port".to_owned(),
        Rule::HostPort { list: true } => "host:port[;host:port...]".to_owned(),
        Rule::Hours => "hours 0..=23 separated by ';' (e.g. 04 or 01;04)".to_owned(),
        Rule::NonEmpty => "a non-empty text".to_owned(),
    }
}

/// `host:port` with a plausible host name or IP and a port 1..=65535 (`[v6]:port` too).
fn is_host_port(text: &str) -> bool {
    let Some((host, port)) = text.rsplit_once(':') else { return false };
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let host_ok = host.parse::<IpAddr>().is_ok()
        || (!host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_accept_and_refuse() {
        let table: &[(Rule, &str, bool)] = &[
            (Rule::Range(1, 10), "1", true),
            (Rule::Range(1, 10), "10", true),
            (Rule::Range(1, 10), "0", false),
            (Rule::Range(1, 10), "11", false),
            (Rule::Range(1, 10), "x", false),
            (Rule::Range(1, 10), "", true),
            (Rule::Ip, "10.0.0.1", true),
            (Rule::Ip, "::1", true),
            (Rule::Ip, "not.an.ip", false),
            (Rule::Ip, "300.1.1.1", false),
            (Rule::HostPort { list: true }, "127.0.0.1:9876;ns2:9876", true),
            (Rule::HostPort { list: true }, "[::1]:9876", true),
            (Rule::HostPort { list: true }, "127.0.0.1", false),
            (Rule::HostPort { list: true }, "h:0", false),
            (Rule::HostPort { list: true }, "h:99999", false),
            (Rule::HostPort { list: true }, "bad host:1", false),
            (Rule::HostPort { list: false }, "a:1;b:2", false),
            (Rule::Hours, "04", true),
            (Rule::Hours, "01;04;23", true),
            (Rule::Hours, "99", false),
            (Rule::Hours, "04;", false),
            (Rule::Hours, "four", false),
            (Rule::NonEmpty, "", false),
            (Rule::NonEmpty, "x", true),
        ];
        for (rule, value, ok) in table {
            assert_eq!(check("k", value, *rule).is_ok(), *ok, "{rule:?} {value:?}");
        }
    }

    #[test]
    fn errors_name_key_value_and_range() {
        let err = check("runtimeWorkerThreads", "100000", Rule::Range(0, 256)).unwrap_err().to_string();
        assert!(err.contains("runtimeWorkerThreads") && err.contains("100000") && err.contains("0..=256"), "{err}");
        let pairs = vec![("a", "5".to_owned()), ("b", "x".to_owned())];
        assert!(check_all(&pairs, &[("a", Rule::Range(0, 9))]).is_ok());
        assert!(check_all(&pairs, &[("a", Rule::Range(6, 9))]).is_err());
    }
}
