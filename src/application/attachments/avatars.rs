use std::sync::Arc;

use uuid::Uuid;

use crate::application::error::AppError;
use crate::domain::attachments::{AttachmentRepository, AvatarOf};
use crate::domain::shared::{AttachmentId, UserId};

/// Turns an upload into a profile's or a conversation's avatar: kept from then on (never an
/// orphan), readable by whoever may see what it belongs to. The one it replaces is discarded.
#[derive(Clone)]
pub struct Avatars(Arc<dyn AttachmentRepository>);

impl Avatars {
    pub fn new(attachments: Arc<dyn AttachmentRepository>) -> Self {
        Self(attachments)
    }

    /// Sets `of`'s avatar to the upload `to` of `me` (or removes it, `None`); `current` is
    /// the avatar it has now, so that setting it again changes nothing.
    pub async fn change(
        &self,
        me: UserId,
        of: AvatarOf,
        current: Option<Uuid>,
        to: Option<Uuid>,
    ) -> Result<(), AppError> {
        match to {
            Some(id) if current == Some(id) => Ok(()),
            Some(id) => {
                if self
                    .0
                    .set_avatar(AttachmentId::from_uuid(id), me, of)
                    .await?
                {
                    Ok(())
                } else {
                    Err(AppError::invalid(
                        "avatar_id",
                        "must be an image you uploaded and have not sent",
                    ))
                }
            }
            None => Ok(self.0.remove_avatar(of).await?),
        }
    }
}
