//! The console's settings (`mqconsole` flags, or a properties file with the same key names).

use std::time::Duration;

/// How `mqconsole` runs. Keys of the properties file (`-c`) are the field names in camelCase;
/// flags of the same names override them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// `namesrvAddr`: name servers, `host:port;host:port` (else NAMESRV_ADDR).
    pub namesrv_addr: Option<String>,
    /// `listenAddress`: the interface to serve on (default `127.0.0.1`).
    pub listen_address: String,
    /// `listenPort`: the HTTP port (default 8080, as rocketmq-dashboard).
    pub listen_port: u16,
    /// `admin`: allow changes (create/delete topics, reset offsets, resend messages); default
    /// false, the console is read-only.
    pub admin: bool,
    /// `accessKey` / `secretKey`: sign every request with this ACL account, as mqadmin does.
    pub credentials: Option<(String, String)>,
    /// `sampleIntervalSecs`: how often the charts' TPS and lag are sampled (default 10).
    pub sample_interval: Duration,
    /// `historyMinutes`: how far back the charts go (default 60).
    pub history: Duration,
    /// `traceTopic`: where message traces are looked up (default RMQ_SYS_TRACE_TOPIC).
    pub trace_topic: String,
    /// `timeoutMillis`: timeout of each request to the cluster (default 3000).
    pub timeout: Duration,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            namesrv_addr: None,
            listen_address: "127.0.0.1".to_owned(),
            listen_port: 8080,
            admin: false,
            credentials: None,
            sample_interval: Duration::from_secs(10),
            history: Duration::from_secs(3600),
            trace_topic: rmq_common::topic::TRACE.to_owned(),
            timeout: Duration::from_millis(3000),
        }
    }
}

impl ConsoleConfig {
    /// Samples kept by the charts' ring buffer: history / interval, at least 2.
    #[must_use]
    pub fn history_len(&self) -> usize {
        let interval = self.sample_interval.as_secs().max(1);
        usize::try_from(self.history.as_secs() / interval).unwrap_or(usize::MAX).max(2)
    }
}

impl ConsoleConfig {
    /// Sets one key (the names above); an error names the key and what it expects.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let v = value.trim();
        let num = |what: &str| v.parse::<u64>().map_err(|_| format!("{key}={v}: expected {what}"));
        match key {
            "namesrvAddr" => self.namesrv_addr = Some(v.to_owned()).filter(|s| !s.is_empty()),
            "listenAddress" => v.clone_into(&mut self.listen_address),
            "listenPort" => self.listen_port = v.parse().map_err(|_| format!("{key}={v}: expected a port"))?,
            "admin" => self.admin = v.parse().map_err(|_| format!("{key}={v}: expected true or false"))?,
            "sampleIntervalSecs" => {
                self.sample_interval =
                    Duration::from_secs(num("seconds (1..3600)").and_then(|n| bounded(key, n, 1, 3600))?)
            }
            "historyMinutes" => {
                self.history =
                    Duration::from_secs(60 * num("minutes (1..1440)").and_then(|n| bounded(key, n, 1, 1440))?)
            }
            "traceTopic" => v.clone_into(&mut self.trace_topic),
            "timeoutMillis" => {
                self.timeout =
                    Duration::from_millis(num("milliseconds (1..600000)").and_then(|n| bounded(key, n, 1, 600_000))?)
            }
            "accessKey" => {
                self.credentials = Some((v.to_owned(), self.credentials.take().map(|c| c.1).unwrap_or_default()))
            }
            "secretKey" => {
                self.credentials = Some((self.credentials.take().map(|c| c.0).unwrap_or_default(), v.to_owned()))
            }
            _ => return Err(format!("unknown key {key}")),
        }
        Ok(())
    }

    /// Checks what single keys cannot: an ACL account needs both keys.
    pub fn check(&self) -> Result<(), String> {
        match &self.credentials {
            Some((ak, sk)) if ak.is_empty() || sk.is_empty() => Err("accessKey and secretKey go together".to_owned()),
            _ => Ok(()),
        }
    }
}

fn bounded(key: &str, n: u64, lo: u64, hi: u64) -> Result<u64, String> {
    if (lo..=hi).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{key}={n}: expected {lo}..{hi}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_and_bounded() {
        let mut c = ConsoleConfig::default();
        c.set("listenPort", "9090").unwrap();
        c.set("admin", "true").unwrap();
        c.set("sampleIntervalSecs", "5").unwrap();
        c.set("historyMinutes", "30").unwrap();
        assert_eq!((c.listen_port, c.admin, c.history_len()), (9090, true, 360));
        assert!(c.set("sampleIntervalSecs", "0").unwrap_err().contains("sampleIntervalSecs"));
        assert!(c.set("nope", "1").is_err());
        c.set("accessKey", "ak").unwrap();
        assert!(c.check().is_err());
        c.set("secretKey", "sk").unwrap();
        assert_eq!(c.credentials, Some(("ak".into(), "sk".into())));
        assert!(c.check().is_ok());
    }

    #[test]
    fn an_hour_at_ten_seconds_is_360_samples() {
        let c = ConsoleConfig::default();
        assert_eq!(c.history_len(), 360);
        let tiny = ConsoleConfig { sample_interval: Duration::from_secs(0), history: Duration::ZERO, ..c };
        assert_eq!(tiny.history_len(), 2);
    }
}
