//! Scraping a Prometheus endpoint and reading the text exposition format (0.0.4): `# HELP` and
//! `# TYPE` lines, then `name{label="value",...} value` samples, label values with `\\`, `\"`
//! and `\n` escapes. Enough to check our endpoints' values, strict about what it reads.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name (with `_total`, `_bucket`, `_sum`, `_count` suffixes as exposed).
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Value.
    pub value: f64,
}

/// A parsed scrape.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// Samples in order.
    pub samples: Vec<Sample>,
    /// `# TYPE` of each family.
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    /// Samples named `name` whose labels include every pair of `labels`.
    #[must_use]
    pub fn find(&self, name: &str, labels: &[(&str, &str)]) -> Vec<&Sample> {
        let matches = |s: &&Sample| labels.iter().all(|(k, v)| s.labels.get(*k).is_some_and(|x| x == v));
        self.samples.iter().filter(|s| s.name == name).filter(matches).collect()
    }

    /// Sum of the values of [`Scrape::find`].
    #[must_use]
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(name, labels).iter().map(|s| s.value).sum()
    }
}

/// GET `http://<addr>/metrics`: the status code and the body.
///
/// # Panics
/// When the endpoint does not answer.
#[must_use]
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the metrics endpoint");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("request");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("response");
    let (head, body) = out.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status code");
    (status, body.to_owned())
}

/// Scrapes and parses `http://<addr>/metrics`.
///
/// # Panics
/// When the endpoint does not answer 200 or the text does not parse.
#[must_use]
pub fn scrape(addr: &str) -> Scrape {
    let (status, body) = get(addr, "/metrics");
    assert_eq!(status, 200, "{body}");
    parse(&body).unwrap_or_else(|e| panic!("unparsable exposition ({e}):\n{body}"))
}

/// Parses an exposition.
///
/// # Errors
/// The first line that is not a comment, a blank or a well-formed sample.
pub fn parse(text: &str) -> Result<Scrape, String> {
    let mut out = Scrape::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').ok_or_else(|| format!("bad TYPE line: {line}"))?;
            out.types.insert(name.to_owned(), kind.to_owned());
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            out.samples.push(sample(line).ok_or_else(|| format!("bad sample line: {line}"))?);
        }
    }
    Ok(out)
}

fn sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    if name.is_empty() || !name.chars().all(valid) {
        return None;
    }
    let (labels, rest) = if line[name_end..].starts_with('{') {
        labels(&line[name_end + 1..])?
    } else {
        (BTreeMap::new(), &line[name_end..])
    };
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Sample { name: name.to_owned(), labels, value })
}

/// Reads `k="v",...}` and returns the labels and what follows the `}`.
fn labels(mut s: &str) -> Option<(BTreeMap<String, String>, &str)> {
    let mut out = BTreeMap::new();
    loop {
        s = s.trim_start_matches(',');
        if let Some(rest) = s.strip_prefix('}') {
            return Some((out, rest));
        }
        let (key, rest) = s.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => value.push(match chars.next()?.1 {
                    'n' => '\n',
                    c => c,
                }),
                (_, c) => value.push(c),
            }
        };
        out.insert(key.to_owned(), value);
        s = &rest[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_samples_labels_and_escapes() {
        let text = "# HELP a_total x\n# TYPE a_total counter\na_total{t=\"x\\\"y\",g=\"\"} 3\nb 1.5\nc_bucket{le=\"+Inf\"} 2\n";
        let s = parse(text).unwrap();
        assert_eq!(s.types["a_total"], "counter");
        assert_eq!(s.find("a_total", &[("t", "x\"y"), ("g", "")]).len(), 1);
        assert!((s.sum("b", &[]) - 1.5).abs() < f64::EPSILON);
        assert_eq!(s.find("c_bucket", &[("le", "+Inf")])[0].value, 2.0);
        assert!(parse("bad line here{").is_err());
    }
}
