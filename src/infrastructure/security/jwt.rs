use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::application::ports::{AccessClaims, AccessToken, AccessTokens};
use crate::domain::shared::{SessionId, UserId};

const ISSUER: &str = "chat-server";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    sid: Uuid,
    iss: String,
    iat: i64,
    exp: i64,
}

/// HS256 access tokens. Verification pins the algorithm, so `alg: none` and algorithm
/// switching are refused, and requires `exp`, `sub` and our issuer. Keys rotate: tokens name
/// the key that signed them (`kid`), one key signs, and earlier ones still verify.
pub struct JwtAccessTokens {
    kid: String,
    encoding: EncodingKey,
    /// By key id; the signing key first.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    ttl: Duration,
}

/// A key's public name: derived from the secret, so that rotating needs no naming, and
/// revealing nothing of it (a truncated hash of a domain-separated input).
pub fn key_id(secret: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"chat-server jwt kid\0")
        .chain_update(secret)
        .finalize();
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

impl JwtAccessTokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self::rotating(secret, &[], ttl)
    }

    /// Signs with `secret`; tokens signed with any of `previous` still verify until they
    /// expire.
    pub fn rotating(secret: &[u8], previous: &[Vec<u8>], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        let decoding = std::iter::once(secret)
            .chain(previous.iter().map(Vec::as_slice))
            .map(|key| (key_id(key), DecodingKey::from_secret(key)))
            .collect();
        Self {
            kid: key_id(secret),
            encoding: EncodingKey::from_secret(secret),
            decoding,
            validation,
            ttl,
        }
    }

    /// The key a token names; one without a name (issued before keys had them) is checked
    /// against the signing key only.
    fn key_for(&self, token: &str) -> Option<&DecodingKey> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        match header.kid {
            Some(kid) => self
                .decoding
                .iter()
                .find(|(id, _)| *id == kid)
                .map(|(_, key)| key),
            None => self.decoding.first().map(|(_, key)| key),
        }
    }
}

impl AccessTokens for JwtAccessTokens {
    fn issue(&self, claims: AccessClaims, now: OffsetDateTime) -> anyhow::Result<AccessToken> {
        let expires_at = now + self.ttl;
        let body = Claims {
            sub: claims.user_id.as_uuid(),
            sid: claims.session_id.as_uuid(),
            iss: ISSUER.to_owned(),
            iat: now.unix_timestamp(),
            exp: expires_at.unix_timestamp(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        let token = encode(&header, &body, &self.encoding)?;
        Ok(AccessToken { token, expires_at })
    }

    fn verify(&self, token: &str) -> Option<AccessClaims> {
        let key = self.key_for(token)?;
        let data = decode::<Claims>(token, key, &self.validation).ok()?;
        Some(AccessClaims {
            user_id: UserId::from_uuid(data.claims.sub),
            session_id: SessionId::from_uuid(data.claims.sid),
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn tokens() -> JwtAccessTokens {
        JwtAccessTokens::new(b"0123456789abcdef0123456789abcdef", Duration::minutes(15))
    }

    fn claims() -> AccessClaims {
        AccessClaims {
            user_id: UserId::new(),
            session_id: SessionId::new(),
        }
    }

    #[test]
    fn round_trips_its_own_tokens() {
        let claims = claims();
        let token = tokens().issue(claims, OffsetDateTime::now_utc()).unwrap();
        assert_eq!(tokens().verify(&token.token), Some(claims));
    }

    #[test]
    fn refuses_expired_tampered_unsigned_and_foreign_tokens() {
        let t = tokens();
        let expired = t
            .issue(claims(), OffsetDateTime::now_utc() - Duration::hours(1))
            .unwrap();
        assert_eq!(t.verify(&expired.token), None);

        let good = t.issue(claims(), OffsetDateTime::now_utc()).unwrap().token;
        let parts: Vec<&str> = good.split('.').collect();
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert_eq!(t.verify(&unsigned), None);

        let other =
            JwtAccessTokens::new(b"another secret, just as long....", Duration::minutes(15));
        assert_eq!(
            t.verify(
                &other
                    .issue(claims(), OffsetDateTime::now_utc())
                    .unwrap()
                    .token
            ),
            None
        );
        assert_eq!(t.verify("not.a.jwt"), None);
    }

    #[test]
    fn earlier_keys_verify_until_dropped_and_tokens_name_their_key() {
        let old = b"the old secret, thirty-two bytes".to_vec();
        let new = b"the new secret, thirty-two bytes";
        let before = JwtAccessTokens::new(&old, Duration::minutes(15));
        let token = before
            .issue(claims(), OffsetDateTime::now_utc())
            .unwrap()
            .token;
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key_id(&old).as_str()));

        let rotated = JwtAccessTokens::rotating(new, &[old], Duration::minutes(15));
        let after = JwtAccessTokens::new(new, Duration::minutes(15));

        assert!(rotated.verify(&token).is_some());
        assert_eq!(after.verify(&token), None);
        let fresh = rotated
            .issue(claims(), OffsetDateTime::now_utc())
            .unwrap()
            .token;
        assert!(after.verify(&fresh).is_some());
        assert_ne!(key_id(new), key_id(b"the old secret, thirty-two bytes"));
    }
}
