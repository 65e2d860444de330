//! The credentials a 5.x SDK signs each call with, as RocketMQ 5.3's
//! `DefaultAuthenticationContextBuilder` reads them from the gRPC metadata: `authorization:
//! MQv2-HMAC-SHA1 Credential=<AccessKey>/.., SignedHeaders=x-mq-date-time, Signature=<hex>` with
//! the signature being HmacSHA1(secret, value of `x-mq-date-time`).

use tonic::metadata::MetadataMap;

/// The header with the credential and signature.
pub const AUTHORIZATION: &str = "authorization";
/// The signed header: the client's clock, `yyyyMMdd'T'HHmmss'Z'`.
pub const DATE_TIME: &str = "x-mq-date-time";

/// What a call is signed with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signed {
    /// The AccessKey (user name); `None` when the call carries no `authorization` header.
    pub username: Option<String>,
    /// The signature, hex.
    pub signature: Option<String>,
    /// What was signed: the `x-mq-date-time` value.
    pub content: Vec<u8>,
}

fn value<'a>(metadata: &'a MetadataMap, key: &str) -> Option<&'a str> {
    metadata.get(key).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
}

/// Reads the credential of a call; the error is RocketMQ's reason for a malformed header.
pub fn read(metadata: &MetadataMap) -> Result<Signed, String> {
    let Some(authorization) = value(metadata, AUTHORIZATION) else {
        return Ok(Signed::default());
    };
    let datetime = value(metadata, DATE_TIME).ok_or("datetime is null.")?;
    let (_, pairs) = authorization.split_once(' ').ok_or("authentication header is incorrect.")?;
    let mut signed = Signed { content: datetime.as_bytes().to_vec(), ..Signed::default() };
    for pair in pairs.split(',') {
        let (key, val) = pair
            .trim()
            .split_once('=')
            .ok_or_else(|| "authentication keyValues length is incorrect, actual length=1.".to_owned())?;
        match key {
            "Credential" => signed.username = val.split('/').next().map(str::to_owned),
            "Signature" => signed.signature = Some(val.to_owned()),
            _ => {}
        }
    }
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(pairs: &[(&'static str, &str)]) -> MetadataMap {
        let mut m = MetadataMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn java_and_go_headers_are_read() {
        let go = "MQv2-HMAC-SHA1 Credential=app//Rocketmq, SignedHeaders=x-mq-date-time, Signature=ab12";
        let s = read(&md(&[(AUTHORIZATION, go), (DATE_TIME, "20261203T173000Z")])).unwrap();
        assert_eq!(s.username.as_deref(), Some("app"));
        assert_eq!(s.signature.as_deref(), Some("ab12"));
        assert_eq!(s.content, b"20261203T173000Z");
        let java = "MQv2-HMAC-SHA1 Credential=app, SignedHeaders=x-mq-date-time, Signature=AB12";
        let s = read(&md(&[(AUTHORIZATION, java), (DATE_TIME, "20261203T173000Z")])).unwrap();
        assert_eq!((s.username.as_deref(), s.signature.as_deref()), (Some("app"), Some("AB12")));
    }

    #[test]
    fn absent_and_malformed_headers() {
        assert_eq!(read(&md(&[])).unwrap(), Signed::default());
        assert_eq!(read(&md(&[(AUTHORIZATION, "MQv2-HMAC-SHA1 Credential=a")])), Err("datetime is null.".into()));
        let bad = read(&md(&[(AUTHORIZATION, "MQv2-HMAC-SHA1"), (DATE_TIME, "d")]));
        assert_eq!(bad, Err("authentication header is incorrect.".into()));
        assert!(read(&md(&[(AUTHORIZATION, "MQv2-HMAC-SHA1 Credential"), (DATE_TIME, "d")])).is_err());
    }
}
