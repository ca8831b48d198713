use time::OffsetDateTime;

use crate::domain::shared::{AttachmentId, ConversationId, MessageId, UserId};

/// The file types accepted, as decided from the file's own bytes, never from the client's
/// claim or the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    Mp4,
    Mp3,
    Ogg,
}

impl MediaType {
    pub const ALL: [MediaType; 8] = [
        Self::Png,
        Self::Jpeg,
        Self::Gif,
        Self::Webp,
        Self::Pdf,
        Self::Mp4,
        Self::Mp3,
        Self::Ogg,
    ];

    pub fn as_mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
            Self::Mp4 => "video/mp4",
            Self::Mp3 => "audio/mpeg",
            Self::Ogg => "audio/ogg",
        }
    }

    /// The accepted type for a MIME type; `None` for anything not on the list.
    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_mime() == mime)
    }

    /// Images are re-encoded (which drops EXIF and GPS metadata) and get a thumbnail.
    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Gif | Self::Webp)
    }
}

/// A file name safe to store and to send back in `Content-Disposition`: no path, no control
/// characters, no quotes, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// Never fails: whatever the client sent becomes a harmless name, `file` at worst.
    pub fn sanitize(raw: &str) -> Self {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let cleaned: String = last
            .chars()
            .filter(|c| {
                !c.is_control() && !matches!(c, '"' | ';' | '<' | '>' | '|' | '*' | '?' | ':')
            })
            .take(200)
            .collect();
        let trimmed = cleaned.trim().trim_start_matches('.').trim();
        if trimmed.is_empty() {
            Self("file".to_owned())
        } else {
            Self(trimmed.to_owned())
        }
    }

    /// A stored name, trusted as already sanitised.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An uploaded file. It is bound to at most one message; until then only its uploader may read
/// it, afterwards every participant of that message's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub uploader_id: UserId,
    pub file_name: FileName,
    pub media_type: MediaType,
    /// Bytes stored (for images: after re-encoding).
    pub size: u64,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub has_thumbnail: bool,
    pub conversation_id: Option<ConversationId>,
    pub message_id: Option<MessageId>,
    pub created_at: OffsetDateTime,
    /// Whose avatar it is, if it is one.
    pub avatar_of: Option<AvatarOf>,
}

/// What an image is the avatar of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvatarOf {
    User(UserId),
    Conversation(ConversationId),
}

impl Attachment {
    /// A file `uploader` is uploading: nothing stored yet, bound to nothing.
    pub fn upload(
        uploader: UserId,
        name: &str,
        media_type: MediaType,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: AttachmentId::new(),
            uploader_id: uploader,
            file_name: FileName::sanitize(name),
            media_type,
            size: 0,
            sha256: String::new(),
            width: None,
            height: None,
            has_thumbnail: false,
            conversation_id: None,
            message_id: None,
            created_at: now,
            avatar_of: None,
        }
    }

    pub fn storage_key(&self) -> String {
        format!("attachments/{}", self.id)
    }

    pub fn thumbnail_key(&self) -> String {
        format!("thumbnails/{}", self.id)
    }

    /// How a browser treats the file (and its thumbnail): images shown inline, anything else
    /// saved, under its sanitised name.
    pub fn content_disposition(&self) -> String {
        let name = self.file_name.as_str();
        let ascii: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let kind = if self.media_type.is_image() {
            "inline"
        } else {
            "attachment"
        };
        format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
    }

    /// Whether `user` may read it (`member_of_conversation`: whether they are in the
    /// conversation it was sent to).
    pub fn readable_by(&self, user: UserId, member_of_conversation: bool) -> bool {
        self.uploader_id == user
            || matches!(self.avatar_of, Some(AvatarOf::User(_)))
            || ((self.conversation_id.is_some()
                || matches!(self.avatar_of, Some(AvatarOf::Conversation(_))))
                && member_of_conversation)
    }

    /// The conversation whose members may read it (as a message's file or its avatar).
    pub fn shared_in(&self) -> Option<ConversationId> {
        match self.avatar_of {
            Some(AvatarOf::Conversation(id)) => Some(id),
            _ => self.conversation_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_controls_and_quotes() {
        assert_eq!(FileName::sanitize("../../etc/passwd").as_str(), "passwd");
        assert_eq!(
            FileName::sanitize("C:\\Users\\me\\cat.png").as_str(),
            "cat.png"
        );
        assert_eq!(FileName::sanitize("a\"b\r\nc;.png").as_str(), "abc.png");
        assert_eq!(FileName::sanitize(".hidden").as_str(), "hidden");
        assert_eq!(FileName::sanitize("  ").as_str(), "file");
        assert_eq!(FileName::sanitize("..").as_str(), "file");
        assert_eq!(
            FileName::sanitize(&"é".repeat(300))
                .as_str()
                .chars()
                .count(),
            200
        );
    }

    #[test]
    fn only_listed_types_are_accepted() {
        assert_eq!(MediaType::from_mime("image/png"), Some(MediaType::Png));
        assert_eq!(MediaType::from_mime("application/x-sh"), None);
        assert_eq!(MediaType::from_mime("text/html"), None);
        assert!(MediaType::Jpeg.is_image());
        assert!(!MediaType::Pdf.is_image());
    }

    #[test]
    fn unbound_files_are_the_uploaders_alone() {
        let uploader = UserId::new();
        let mut file =
            Attachment::upload(uploader, "a.png", MediaType::Png, OffsetDateTime::now_utc());
        let other = UserId::new();
        assert!(file.readable_by(uploader, false));
        assert!(!file.readable_by(other, true));
        file.conversation_id = Some(ConversationId::new());
        assert!(file.readable_by(other, true));
        assert!(!file.readable_by(other, false));
    }

    #[test]
    fn a_profile_avatar_is_anyone_s_and_a_conversation_s_its_members() {
        let uploader = UserId::new();
        let other = UserId::new();
        let conversation = ConversationId::new();
        let mut avatar = Attachment::upload(
            uploader,
            "me.png",
            MediaType::Png,
            OffsetDateTime::now_utc(),
        );
        avatar.avatar_of = Some(AvatarOf::User(uploader));
        assert!(avatar.readable_by(other, false));
        avatar.avatar_of = Some(AvatarOf::Conversation(conversation));
        assert_eq!(avatar.shared_in(), Some(conversation));
        assert!(avatar.readable_by(other, true));
        assert!(!avatar.readable_by(other, false));
    }
}
