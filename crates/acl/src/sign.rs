//! Request signatures as RocketMQ's `AclClientRPCHook` computes them: the values of the
//! header fields (AccessKey and SecurityToken included, Signature left out) sorted by field
//! name and concatenated, then the body; HmacSHA1 with the secret key, base64.

use std::collections::BTreeMap;

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

/// Base64 of HmacSHA1(`secret`, `data`).
#[must_use]
pub fn signature(data: &[u8], secret: &str) -> String {
    // HMAC takes a key of any length, so this never fails.
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(data);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The signature of `request` for `secret`, fed to the HMAC piece by piece (no copy of the body).
#[must_use]
pub fn sign_request(request: &RemotingCommand, secret: &str) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    let mut fields: Vec<(&str, &str)> =
        request.ext_fields.iter().filter(|(k, _)| *k != SIGNATURE && *k != UNIQUE_KEY_QUERY).collect();
    fields.sort_unstable_by_key(|(k, _)| *k);
    for (_, value) in fields {
        mac.update(value.as_bytes());
    }
    mac.update(&request.body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The bytes a request's signature covers.
#[must_use]
pub fn content(request: &RemotingCommand) -> Vec<u8> {
    let sorted: BTreeMap<&str, &str> =
        request.ext_fields.iter().filter(|(k, _)| *k != SIGNATURE && *k != UNIQUE_KEY_QUERY).collect();
    let mut out = Vec::with_capacity(sorted.values().map(|v| v.len()).sum::<usize>() + request.body.len());
    for value in sorted.values() {
        out.extend_from_slice(value.as_bytes());
    }
    out.extend_from_slice(&request.body);
    out
}

/// Whether `request` carries a valid signature for `secret` (compared in constant time).
#[must_use]
pub fn verify(request: &RemotingCommand, secret: &str) -> bool {
    let Some(given) = request.ext_fields.get(SIGNATURE) else {
        return false;
    };
    let expected = sign_request(request, secret);
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// An account's credentials, as a client holds them to sign its requests.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// AccessKey.
    pub access_key: String,
    /// SecretKey.
    pub secret_key: String,
    /// Optional STS token.
    pub security_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key", &self.access_key).finish_non_exhaustive()
    }
}

impl Credentials {
    /// Credentials without a token.
    #[must_use]
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self { access_key: access_key.into(), secret_key: secret_key.into(), security_token: None }
    }

    /// Adds AccessKey (and SecurityToken), then the Signature over the header and body, as the
    /// official client's hook does just before a request is written.
    pub fn sign(&self, request: &mut RemotingCommand) {
        request.ext_fields.insert(ACCESS_KEY.to_owned(), self.access_key.clone());
        if let Some(token) = &self.security_token {
            request.ext_fields.insert(SECURITY_TOKEN.to_owned(), token.clone());
        }
        let sig = sign_request(request, &self.secret_key);
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
}
