//! Request signatures as RocketMQ's `AclClientRPCHook` computes them: the values of the
//! header fields (AccessKey and SecurityToken included, Signature left out) sorted by field
//! name and concatenated, then the body; HmacSHA1 with the secret key, base64.
//!
//! Cheap on both sides (issue 24's 10% bound on 1k-async TPS): a [`SigningKey`] holds the HMAC
//! state after the key schedule, made once per account and cloned per request; the header
//! values are fed to the HMAC in the order `ExtFields` already keeps them (sorted by key), with
//! no combined buffer; the signature is compared as base64 on the stack, without allocating.

use base64::Engine;
use hmac::{Hmac, Mac};
use rmq_remoting::RemotingCommand;

/// Header field carrying the account's key.
pub const ACCESS_KEY: &str = "AccessKey";
/// Header field carrying the signature.
pub const SIGNATURE: &str = "Signature";
/// Header field carrying an STS token (signed like the others).
pub const SECURITY_TOKEN: &str = "SecurityToken";
/// Added by the query tool outside the signed header; the broker leaves it out.
const UNIQUE_KEY_QUERY: &str = "_UNIQUE_KEY_QUERY";
/// Length of a base64 HmacSHA1 (20 bytes).
const SIGNATURE_LEN: usize = 28;

/// A secret key ready to sign: the HMAC state after the key schedule (made once per account,
/// cloned for each request). Its `Debug` does not show the key.
#[derive(Clone)]
pub struct SigningKey {
    mac: Hmac<sha1::Sha1>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The key of `secret`.
    #[must_use]
    pub fn new(secret: &str) -> Self {
        // HMAC takes a key of any length: new_from_slice cannot fail, and `Mac::new` needs a
        // fixed-size key, so the fallback (an empty key) is never taken.
        let mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| <Hmac<sha1::Sha1> as hmac::digest::KeyInit>::new(&Default::default()));
        Self { mac }
    }

    /// The signature of `request` as base64 bytes.
    fn sign_b64(&self, request: &RemotingCommand) -> [u8; SIGNATURE_LEN] {
        let mut mac = self.mac.clone();
        for (key, value) in request.ext_fields.iter_bytes() {
            if key != SIGNATURE.as_bytes() && key != UNIQUE_KEY_QUERY.as_bytes() {
                mac.update(value);
            }
        }
        mac.update(&request.body);
        let mut out = [0u8; SIGNATURE_LEN];
        // 20 bytes are always 28 base64 characters, so the buffer always fits.
        let _ = base64::engine::general_purpose::STANDARD.encode_slice(mac.finalize().into_bytes(), &mut out);
        out
    }

    /// The signature of `request` (its Signature field, if any, left out).
    #[must_use]
    pub fn sign(&self, request: &RemotingCommand) -> String {
        // base64 is ASCII.
        String::from_utf8_lossy(&self.sign_b64(request)).into_owned()
    }

    /// Whether `request` carries a valid signature for this key (compared in constant time).
    #[must_use]
    pub fn verify(&self, request: &RemotingCommand) -> bool {
        let Some(given) = request.ext_fields.get(SIGNATURE) else {
            return false;
        };
        let expected = self.sign_b64(request);
        given.len() == expected.len() && given.bytes().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// Base64 of HmacSHA1(`secret`, `data`).
#[must_use]
pub fn signature(data: &[u8], secret: &str) -> String {
    let mut mac = SigningKey::new(secret).mac;
    mac.update(data);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Hex (lowercase) HmacSHA1(`secret`, `data`): the `Signature` a 5.x gRPC SDK sends over the
/// value of its `x-mq-date-time` header.
#[must_use]
pub fn hex_signature(data: &[u8], secret: &str) -> String {
    let mut mac = SigningKey::new(secret).mac;
    mac.update(data);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `hex` (either case) is the hex HmacSHA1(`secret`, `data`): the signature the 5.x gRPC
/// SDKs send in their `authorization` header (compared in constant time).
#[must_use]
pub fn verify_hex(data: &[u8], secret: &str, hex: &str) -> bool {
    let mut mac = SigningKey::new(secret).mac;
    mac.update(data);
    let expected = mac.finalize().into_bytes();
    let given = hex.as_bytes();
    if given.len() != expected.len() * 2 {
        return false;
    }
    let nibble = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut diff = 0u8;
    for (pair, want) in given.chunks(2).zip(expected) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => diff |= ((h << 4) | l) ^ want,
            _ => return false,
        }
    }
    diff == 0
}

/// The signature of `request` for `secret`.
#[must_use]
pub fn sign_request(request: &RemotingCommand, secret: &str) -> String {
    SigningKey::new(secret).sign(request)
}

/// The bytes a request's signature covers.
#[must_use]
pub fn content(request: &RemotingCommand) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in request.ext_fields.iter_bytes() {
        if key != SIGNATURE.as_bytes() && key != UNIQUE_KEY_QUERY.as_bytes() {
            out.extend_from_slice(value);
        }
    }
    out.extend_from_slice(&request.body);
    out
}

/// Whether `request` carries a valid signature for `secret` (compared in constant time).
#[must_use]
pub fn verify(request: &RemotingCommand, secret: &str) -> bool {
    SigningKey::new(secret).verify(request)
}

/// An account's credentials, as a client holds them to sign its requests.
#[derive(Clone)]
pub struct Credentials {
    /// AccessKey.
    pub access_key: String,
    /// SecretKey (read with [`Credentials::secret_key`]; fixed at creation, as `key` is made
    /// from it).
    secret_key: String,
    /// Optional STS token.
    pub security_token: Option<String>,
    key: SigningKey,
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        (&self.access_key, &self.secret_key, &self.security_token)
            == (&other.access_key, &other.secret_key, &other.security_token)
    }
}

impl Eq for Credentials {}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key", &self.access_key).finish_non_exhaustive()
    }
}

impl Credentials {
    /// Credentials without a token.
    #[must_use]
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        let secret_key = secret_key.into();
        let key = SigningKey::new(&secret_key);
        Self { access_key: access_key.into(), secret_key, security_token: None, key }
    }

    /// Credentials from RocketMQ's JSON form `{"accessKey":..,"secretKey":..}` (the
    /// `innerClientAuthenticationCredentials` key of brokers and proxies).
    pub fn from_json(json: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Pair {
            access_key: String,
            secret_key: String,
        }
        let pair: Pair =
            serde_json::from_str(json).map_err(|e| format!("expected {{\"accessKey\":..,\"secretKey\":..}}: {e}"))?;
        Ok(Self::new(pair.access_key, pair.secret_key))
    }

    /// The SecretKey.
    #[must_use]
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Adds AccessKey (and SecurityToken), then the Signature over the header and body, as the
    /// official client's hook does just before a request is written.
    pub fn sign(&self, request: &mut RemotingCommand) {
        request.ext_fields.insert(ACCESS_KEY.to_owned(), self.access_key.clone());
        if let Some(token) = &self.security_token {
            request.ext_fields.insert(SECURITY_TOKEN.to_owned(), token.clone());
        }
        let sig = self.key.sign(request);
        request.ext_fields.insert(SIGNATURE.to_owned(), sig);
    }
}

impl rmq_remoting::transport::RequestHook for Credentials {
    fn before_request(&self, _addr: &str, request: &mut RemotingCommand) {
        self.sign(request);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_remoting::RequestCode;

    #[test]
    fn signature_matches_javas_hmac_sha1_base64() {
        // HmacSHA1("key", "The quick brown fox jumps over the lazy dog"), a published vector.
        let sig = signature(b"The quick brown fox jumps over the lazy dog", "key");
        assert_eq!(sig, "3nybhbi3iqa8ino29wqQcBydtNk=");
    }

    #[test]
    fn hex_signatures_of_the_grpc_sdks_verify_in_either_case() {
        let data = b"The quick brown fox jumps over the lazy dog";
        assert_eq!(hex_signature(data, "key"), "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
        assert!(verify_hex(data, "key", "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"));
        assert!(verify_hex(data, "key", "DE7C9B85B8B78AA6BC8A7A36F70A90701C9DB4D9"));
        assert!(!verify_hex(data, "kez", "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"));
        assert!(!verify_hex(data, "key", "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d"));
        assert!(!verify_hex(data, "key", "zz7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"));
        let c = Credentials::from_json(r#"{"accessKey":"rocketmq2","secretKey":"12345678"}"#).unwrap();
        assert_eq!((c.access_key.as_str(), c.secret_key()), ("rocketmq2", "12345678"));
        assert!(Credentials::from_json("rocketmq2:12345678").is_err());
    }

    #[test]
    fn content_is_sorted_values_then_body_without_the_signature() {
        let req = RemotingCommand::request(RequestCode::SendMessage)
            .with_ext("b", "2")
            .with_ext("a", "1")
            .with_ext(SIGNATURE, "x")
            .with_ext(ACCESS_KEY, "K")
            .with_body(&b"BODY"[..]);
        assert_eq!(content(&req), b"K12BODY");
    }

    #[test]
    fn signed_requests_verify_and_tampering_breaks_them() {
        let creds = Credentials::new("RocketMQ", "12345678");
        let mut req = RemotingCommand::request(RequestCode::SendMessage).with_ext("topic", "T").with_body(&b"hi"[..]);
        creds.sign(&mut req);
        assert!(verify(&req, "12345678"));
        assert!(!verify(&req, "87654321"));
        assert_eq!(sign_request(&req, "12345678"), signature(&content(&req), "12345678"));
        req.ext_fields.insert("topic".into(), "U".into());
        assert!(!verify(&req, "12345678"));
    }

    #[test]
    fn a_signing_key_signs_as_the_whole_content_and_skips_the_query_flag() {
        let key = SigningKey::new("12345678");
        let mut req = RemotingCommand::request(RequestCode::QueryMessage)
            .with_ext("topic", "T")
            .with_ext(UNIQUE_KEY_QUERY, "true")
            .with_ext("maxNum", "32")
            .with_ext(ACCESS_KEY, "RocketMQ")
            .with_body(vec![7u8; 300]);
        let sig = key.sign(&req);
        assert_eq!(sig, signature(&content(&req), "12345678"));
        assert_eq!(content(&req)[..12], *b"RocketMQ32T\x07");
        req.ext_fields.insert(SIGNATURE.to_owned(), sig);
        assert!(key.verify(&req));
        req.ext_fields.insert(UNIQUE_KEY_QUERY.to_owned(), "false".to_owned());
        assert!(key.verify(&req), "the query flag is not signed");
        assert!(!SigningKey::new("12345679").verify(&req));
        req.ext_fields.insert(SIGNATURE.to_owned(), "short".to_owned());
        assert!(!key.verify(&req));
    }
}
