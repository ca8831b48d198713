/// A username: 3 to 32 of `a-z`, `0-9` and `_`, kept lowercase so lookups are exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("may contain only letters, digits and underscores")]
    InvalidCharacter,
    #[error("must be 3 to 32 characters long")]
    Length,
}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let name = raw.trim().to_ascii_lowercase();
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(UsernameError::InvalidCharacter);
        }
        if !(3..=32).contains(&name.len()) {
            return Err(UsernameError::Length);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_trimmed_and_lowercased() {
        assert_eq!(Username::parse("  Alice_1 ").unwrap().as_str(), "alice_1");
    }

    #[test]
    fn refuses_other_characters_and_bad_lengths() {
        assert_eq!(
            Username::parse("al ice"),
            Err(UsernameError::InvalidCharacter)
        );
        assert_eq!(
            Username::parse("al@ice"),
            Err(UsernameError::InvalidCharacter)
        );
        assert_eq!(Username::parse("äli"), Err(UsernameError::InvalidCharacter));
        assert_eq!(Username::parse("al"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"a".repeat(33)), Err(UsernameError::Length));
        assert!(Username::parse(&"a".repeat(32)).is_ok());
    }
}
