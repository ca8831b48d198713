use time::OffsetDateTime;

use super::{DisplayName, Email, Username};
use crate::domain::shared::UserId;

/// A registered user. Every field is already valid: it can only be built from value objects.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
    pub display_name: DisplayName,
    pub created_at: OffsetDateTime,
}

impl User {
    pub fn register(
        username: Username,
        email: Email,
        display_name: DisplayName,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: UserId::new(),
            username,
            email,
            display_name,
            created_at: now,
        }
    }
}
