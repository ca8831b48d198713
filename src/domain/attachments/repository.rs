use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Attachment, AvatarOf};
use crate::domain::shared::{AttachmentId, RepoError, UserId};

#[async_trait]
pub trait AttachmentRepository: Send + Sync {
    async fn insert(&self, attachment: &Attachment) -> Result<(), RepoError>;

    async fn find(&self, id: AttachmentId) -> Result<Option<Attachment>, RepoError>;

    /// Attachments to remove: discarded ones, and those neither sent in a message nor an
    /// avatar and uploaded before `before`; oldest first.
    async fn orphans(
        &self,
        before: OffsetDateTime,
        limit: u64,
    ) -> Result<Vec<Attachment>, RepoError>;

    /// Marks an orphan discarded if it still is one (`false`: a message or an avatar took it
    /// meanwhile); from then on nothing can take it, and its bytes may go.
    async fn discard_orphan(&self, id: AttachmentId) -> Result<bool, RepoError>;

    /// Deletes a discarded row, once its bytes are gone.
    async fn delete_discarded(&self, id: AttachmentId) -> Result<(), RepoError>;

    /// Makes `id` the avatar of `of`, if it is an image `uploader` uploaded and has neither
    /// sent nor used as an avatar; the avatar it replaces is discarded. `false`: not allowed.
    async fn set_avatar(
        &self,
        id: AttachmentId,
        uploader: UserId,
        of: AvatarOf,
    ) -> Result<bool, RepoError>;

    /// Discards the avatar of `of`, if it has one.
    async fn remove_avatar(&self, of: AvatarOf) -> Result<(), RepoError>;
}
