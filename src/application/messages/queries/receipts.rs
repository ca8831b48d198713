use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{MessagesPorts, message_in};
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::{MessageRepository, Receipt, ReceiptQueries};
use crate::domain::shared::{ConversationId, MessageId, UserId};

pub struct ReceiptsView {
    pub message_id: MessageId,
    pub message_seq: i64,
    pub receipts: Vec<Receipt>,
}

/// Who has a message delivered and who has read it.
pub struct ReceiptsHandler {
    conversations: Arc<dyn ConversationRepository>,
    messages: Arc<dyn MessageRepository>,
    receipts: Arc<dyn ReceiptQueries>,
}

impl ReceiptsHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            messages: ports.messages.clone(),
            receipts: ports.receipts.clone(),
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        message_id: MessageId,
    ) -> Result<ReceiptsView, AppError> {
        member_of(self.conversations.as_ref(), id, me).await?;
        let message = message_in(self.messages.as_ref(), id, message_id).await?;
        let receipts = self
            .receipts
            .receipts(id, message.seq(), message.sender_id())
            .await?;
        Ok(ReceiptsView {
            message_id,
            message_seq: message.seq(),
            receipts,
        })
    }
}
