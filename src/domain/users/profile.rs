use time::OffsetDateTime;
use uuid::Uuid;

use super::{DisplayName, Username};
use crate::domain::shared::UserId;

/// What others may see of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: UserId,
    pub username: Username,
    pub display_name: DisplayName,
    pub bio: Bio,
    pub status_text: StatusText,
    /// An attachment id; the attachments context owns what it points to.
    pub avatar_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("must be at most {0} characters long")]
    TooLong(usize),
    #[error("may not contain control characters other than line breaks")]
    ControlCharacter,
}

fn free_text(raw: &str, max: usize, multiline: bool) -> Result<String, ProfileError> {
    let text = raw.trim();
    let allowed = |c: char| !c.is_control() || (multiline && c == '\n');
    if !text.chars().all(allowed) {
        return Err(ProfileError::ControlCharacter);
    }
    if text.chars().count() > max {
        return Err(ProfileError::TooLong(max));
    }
    Ok(text.to_owned())
}

/// A few lines about oneself: at most 500 characters; empty means none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub fn parse(raw: &str) -> Result<Self, ProfileError> {
        free_text(raw, 500, true).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A one-line status ("in a meeting"): at most 140 characters; empty means none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusText(String);

impl StatusText {
    pub fn parse(raw: &str) -> Result<Self, ProfileError> {
        free_text(raw, 140, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub display_name: Option<DisplayName>,
    pub bio: Option<Bio>,
    pub status_text: Option<StatusText>,
    /// `Some(None)` removes the avatar.
    pub avatar_id: Option<Option<Uuid>>,
}

impl ProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.bio.is_none()
            && self.status_text.is_none()
            && self.avatar_id.is_none()
    }

    pub fn apply(self, profile: &mut Profile) {
        if let Some(display_name) = self.display_name {
            profile.display_name = display_name;
        }
        if let Some(bio) = self.bio {
            profile.bio = bio;
        }
        if let Some(status_text) = self.status_text {
            profile.status_text = status_text;
        }
        if let Some(avatar_id) = self.avatar_id {
            profile.avatar_id = avatar_id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bios_keep_line_breaks_and_status_texts_do_not() {
        assert_eq!(
            Bio::parse(" line one\nline two ").unwrap().as_str(),
            "line one\nline two"
        );
        assert_eq!(
            StatusText::parse("a\nb"),
            Err(ProfileError::ControlCharacter)
        );
        assert_eq!(
            Bio::parse(&"é".repeat(501)),
            Err(ProfileError::TooLong(500))
        );
        assert_eq!(
            StatusText::parse(&"x".repeat(141)),
            Err(ProfileError::TooLong(140))
        );
        assert_eq!(Bio::parse("").unwrap().as_str(), "");
    }
}
