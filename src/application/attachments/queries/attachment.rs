use std::sync::Arc;

use crate::application::attachments::AttachmentsPorts;
use crate::application::error::AppError;
use crate::domain::attachments::{Attachment, AttachmentRepository};
use crate::domain::conversations::ConversationRepository;
use crate::domain::shared::{AttachmentId, UserId};

/// The attachment if the caller may read it: its uploader, or a participant of the
/// conversation it was sent to. Anyone else is told it does not exist.
pub struct AttachmentHandler {
    attachments: Arc<dyn AttachmentRepository>,
    conversations: Arc<dyn ConversationRepository>,
}

impl AttachmentHandler {
    pub fn new(ports: &AttachmentsPorts) -> Self {
        Self {
            attachments: ports.attachments.clone(),
            conversations: ports.conversations.clone(),
        }
    }

    pub async fn handle(&self, me: UserId, id: AttachmentId) -> Result<Attachment, AppError> {
        let not_found = AppError::NotFound("attachment_not_found");
        let attachment = self.attachments.find(id).await?.ok_or(not_found)?;
        let member = match attachment.shared_in() {
            Some(conversation) if attachment.uploader_id != me => self
                .conversations
                .find_for_member(conversation, me)
                .await?
                .is_some(),
            _ => false,
        };
        if attachment.readable_by(me, member) {
            Ok(attachment)
        } else {
            Err(AppError::NotFound("attachment_not_found"))
        }
    }
}
