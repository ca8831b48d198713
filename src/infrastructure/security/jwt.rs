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
/// switching are refused, and requires `exp`, `sub` and our issuer.
pub struct JwtAccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtAccessTokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
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
        let token = encode(&Header::new(Algorithm::HS256), &body, &self.encoding)?;
        Ok(AccessToken { token, expires_at })
    }

    fn verify(&self, token: &str) -> Option<AccessClaims> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
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
}
