use super::PasswordHash;
use crate::domain::users::{Email, User, Username};

/// A user together with the credential that proves who they are.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub password_hash: PasswordHash,
}

/// What a person types to sign in: their email or their username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Email(Email),
    Username(Username),
}

impl Login {
    /// Reads an `@` as an email; anything else must be a valid username. `None` when neither
    /// could exist, so the caller can fail exactly like for an unknown account.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.contains('@') {
            Email::parse(raw).ok().map(Self::Email)
        } else {
            Username::parse(raw).ok().map(Self::Username)
        }
    }

    /// A stable key for per-account rate limits.
    pub fn key(&self) -> &str {
        match self {
            Self::Email(email) => email.as_str(),
            Self::Username(username) => username.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_emails_from_usernames() {
        assert!(matches!(
            Login::parse("Bob@Example.com"),
            Some(Login::Email(_))
        ));
        assert!(matches!(Login::parse("Bob_1"), Some(Login::Username(_))));
        assert_eq!(Login::parse("bob_1").unwrap().key(), "bob_1");
        assert_eq!(Login::parse("no spaces"), None);
    }
}
