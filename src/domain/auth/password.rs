use std::collections::HashSet;
use std::fmt;

/// A candidate password in clear text, checked against the policy. Never logged or printed.
///
/// Policy (OWASP ASVS): 8 to 128 characters, any characters allowed, not one of the most common
/// passwords, and not a single repeated character or run of few distinct characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least 8 characters long")]
    TooShort,
    #[error("must be at most 128 characters long")]
    TooLong,
    #[error("is too common; choose a less predictable password")]
    TooCommon,
    #[error("needs at least 4 different characters")]
    TooRepetitive,
}

// A short sample of the most frequent leaked passwords that satisfy the length rule.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "11111111",
    "00000000",
    "abc12345",
    "abcd1234",
    "1q2w3e4r",
    "1qaz2wsx",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "welcome123",
    "admin123",
    "letmein1",
    "passw0rd",
    "p@ssw0rd",
    "trustno1",
    "superman",
    "starwars",
    "qwertyui",
    "asdfghjk",
    "zxcvbnm1",
    "changeme",
    "computer",
    "whatever",
    "michelle",
    "jennifer",
    "12341234",
    "87654321",
    "11223344",
    "q1w2e3r4",
    "secret123",
];

impl Password {
    pub fn parse(raw: String) -> Result<Self, PasswordError> {
        let length = raw.chars().count();
        if length < 8 {
            return Err(PasswordError::TooShort);
        }
        if length > 128 {
            return Err(PasswordError::TooLong);
        }
        if COMMON.contains(&raw.to_lowercase().as_str()) {
            return Err(PasswordError::TooCommon);
        }
        if raw.chars().collect::<HashSet<_>>().len() < 4 {
            return Err(PasswordError::TooRepetitive);
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password hash in PHC string format; which algorithm made it is infrastructure's business.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_the_policy() {
        let parse = |raw: &str| Password::parse(raw.to_owned());
        assert_eq!(parse("short1!"), Err(PasswordError::TooShort));
        assert_eq!(parse(&"ab1!".repeat(33)), Err(PasswordError::TooLong));
        assert_eq!(parse("Password123"), Err(PasswordError::TooCommon));
        assert_eq!(parse("aaaaaaaaaa"), Err(PasswordError::TooRepetitive));
        assert_eq!(parse("abababab"), Err(PasswordError::TooRepetitive));
        assert!(parse("correct horse battery staple").is_ok());
        assert!(parse("ünïcødé pässwörd").is_ok());
    }

    #[test]
    fn never_shows_its_secret() {
        let password = Password::parse("correct horse".to_owned()).unwrap();
        assert_eq!(format!("{password:?}"), "Password(***)");
    }
}
