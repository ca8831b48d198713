use async_trait::async_trait;
use time::OffsetDateTime;

use super::Attachment;
use crate::domain::shared::{AttachmentId, RepoError};

#[async_trait]
pub trait AttachmentRepository: Send + Sync {
    async fn insert(&self, attachment: &Attachment) -> Result<(), RepoError>;

    async fn find(&self, id: AttachmentId) -> Result<Option<Attachment>, RepoError>;

    /// Attachments never bound to a message and uploaded before `before`, oldest first.
    async fn orphans(
        &self,
        before: OffsetDateTime,
        limit: u64,
    ) -> Result<Vec<Attachment>, RepoError>;

    /// Deletes the row if it is still unbound; `false` when a message took it meanwhile.
    async fn delete_orphan(&self, id: AttachmentId) -> Result<bool, RepoError>;
}
