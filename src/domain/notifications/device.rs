use time::OffsetDateTime;

use crate::domain::shared::{DeviceId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("must be 1 to 4096 printable ASCII characters")]
    Token,
    #[error("must be one of ios, android, web")]
    Platform,
}

/// Which push service a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Ios,
    Android,
    Web,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Android => "android",
            Self::Web => "web",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DeviceError> {
        match raw {
            "ios" => Ok(Self::Ios),
            "android" => Ok(Self::Android),
            "web" => Ok(Self::Web),
            _ => Err(DeviceError::Platform),
        }
    }
}

/// A push service's opaque address of one app install (FCM token, APNs device token, web push
/// endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PushToken(String);

impl PushToken {
    pub fn parse(raw: &str) -> Result<Self, DeviceError> {
        let token = raw.trim();
        if token.is_empty() || token.len() > 4096 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DeviceError::Token);
        }
        Ok(Self(token.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An app install that receives pushes for one user. A token belongs to one user at a time: a
/// device that signs in as someone else moves to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub user_id: UserId,
    pub platform: Platform,
    pub token: PushToken,
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_printable_ascii_of_bounded_size() {
        assert!(PushToken::parse("fcm:abc-123_XYZ").is_ok());
        assert_eq!(PushToken::parse("  ").unwrap_err(), DeviceError::Token);
        assert_eq!(PushToken::parse("a b").unwrap_err(), DeviceError::Token);
        assert_eq!(PushToken::parse("é").unwrap_err(), DeviceError::Token);
        assert_eq!(
            PushToken::parse(&"x".repeat(4097)).unwrap_err(),
            DeviceError::Token
        );
    }

    #[test]
    fn platforms_are_a_closed_list() {
        assert_eq!(Platform::parse("ios"), Ok(Platform::Ios));
        assert_eq!(Platform::parse("IOS"), Err(DeviceError::Platform));
    }
}
