use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A public key (or signature) as the client encodes it: standard base64 of 1 to 512 bytes.
/// The server never interprets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("must be standard base64")]
    NotBase64,
    #[error("must encode 1 to 512 bytes")]
    Size,
    #[error("at most 100 one-time prekeys per upload")]
    TooManyPrekeys,
    #[error("key ids must be unique within an upload")]
    DuplicateKeyId,
}

impl PublicKey {
    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        if raw.len() > 700 {
            return Err(KeyError::Size);
        }
        let bytes = STANDARD.decode(raw).map_err(|_| KeyError::NotBase64)?;
        if !(1..=512).contains(&bytes.len()) {
            return Err(KeyError::Size);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPrekey {
    pub key_id: u32,
    pub public_key: PublicKey,
    pub signature: PublicKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimePrekey {
    pub key_id: u32,
    pub public_key: PublicKey,
}

/// What another user needs to open an encrypted session with a user: a one-time prekey is
/// handed out once, then gone; when the owner has run out, their signed last-resort
/// (fallback) prekey instead, if they uploaded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBundle {
    pub identity_key: PublicKey,
    pub signed_prekey: SignedPrekey,
    pub one_time_prekey: Option<OneTimePrekey>,
    pub fallback_prekey: Option<SignedPrekey>,
}

/// What the owner sees of their own keys, to know when to upload more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStatus {
    pub one_time_prekeys_left: u64,
    pub has_fallback_prekey: bool,
}

/// Checks one upload's one-time prekeys.
pub fn check_prekeys(prekeys: &[OneTimePrekey]) -> Result<(), KeyError> {
    if prekeys.len() > 100 {
        return Err(KeyError::TooManyPrekeys);
    }
    let mut ids: Vec<u32> = prekeys.iter().map(|k| k.key_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != prekeys.len() {
        return Err(KeyError::DuplicateKeyId);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_base64() {
        assert!(PublicKey::parse("BQ==").is_ok());
        assert_eq!(PublicKey::parse("not base64!"), Err(KeyError::NotBase64));
        assert_eq!(PublicKey::parse(""), Err(KeyError::Size));
        assert_eq!(
            PublicKey::parse(&STANDARD.encode([0u8; 513])),
            Err(KeyError::Size)
        );
    }

    #[test]
    fn an_upload_has_unique_ids_and_bounded_size() {
        let key = |key_id| OneTimePrekey {
            key_id,
            public_key: PublicKey::parse("BQ==").unwrap(),
        };
        assert!(check_prekeys(&[key(1), key(2)]).is_ok());
        assert_eq!(
            check_prekeys(&[key(1), key(1)]),
            Err(KeyError::DuplicateKeyId)
        );
        let many: Vec<_> = (0..101).map(key).collect();
        assert_eq!(check_prekeys(&many), Err(KeyError::TooManyPrekeys));
    }
}
