//! Where the name servers are: given in code or config, else NAMESRV_ADDR, else an HTTP
//! endpoint whose body is `host:port;host:port` (refreshed every 2 minutes).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{ClientError, Result};

/// Which source supplied the name server list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameServerSource {
    /// Code or config.
    Config,
    /// The NAMESRV_ADDR environment variable.
    Env,
    /// The HTTP endpoint (URL).
    Http(String),
}

/// Splits `a;b; c` into addresses.
#[must_use]
pub fn parse_list(text: &str) -> Vec<String> {
    text.split([';', ',', '\n', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Resolves the list once, in precedence order.
pub async fn resolve(config: &crate::config::ClientConfig) -> Result<(Vec<String>, NameServerSource)> {
    if let Some(a) = config.namesrv_addr.as_deref().map(parse_list).filter(|v| !v.is_empty()) {
        return Ok((a, NameServerSource::Config));
    }
    if let Some(a) = std::env::var("NAMESRV_ADDR").ok().map(|s| parse_list(&s)).filter(|v| !v.is_empty()) {
        return Ok((a, NameServerSource::Env));
    }
    if let Some(url) = &config.namesrv_endpoint {
        let list = fetch(url, Duration::from_secs(3)).await?;
        if !list.is_empty() {
            return Ok((list, NameServerSource::Http(url.clone())));
        }
    }
    Err(ClientError::NoNameServer)
}

/// GETs `http://host[:port]/path` and parses the body as an address list.
pub async fn fetch(url: &str, timeout: Duration) -> Result<Vec<String>> {
    let rest = url.strip_prefix("http://").ok_or_else(|| ClientError::Invalid(format!("not an http URL: {url}")))?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let addr = if host.contains(':') { host.to_owned() } else { format!("{host}:80") };
    let work = async {
        let mut s = tokio::net::TcpStream::connect(&addr).await?;
        let req = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        s.take(1 << 20).read_to_end(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    let buf = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ClientError::Invalid(format!("name server endpoint {url} timed out")))?
        .map_err(|cause| ClientError::Io { context: format!("fetching {url}"), cause })?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status_ok = head.lines().next().is_some_and(|l| l.split_whitespace().nth(1) == Some("200"));
    if !status_ok {
        return Err(ClientError::Invalid(format!(
            "name server endpoint {url} answered {}",
            head.lines().next().unwrap_or("nothing")
        )));
    }
    Ok(parse_list(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(parse_list("a:1;b:2; c:3;"), vec!["a:1", "b:2", "c:3"]);
        assert!(parse_list(" ; ").is_empty());
    }

    #[tokio::test]
    async fn http_endpoint() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut b = [0u8; 1024];
            let _ = s.read(&mut b).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n127.0.0.1:9876;127.0.0.1:9877").await.unwrap();
        });
        let got = fetch(&format!("http://127.0.0.1:{port}/rocketmq/nsaddr"), Duration::from_secs(2)).await.unwrap();
        assert_eq!(got, vec!["127.0.0.1:9876", "127.0.0.1:9877"]);
    }
}
