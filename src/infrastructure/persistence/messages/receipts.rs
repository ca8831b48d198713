//! Who has received or read a message.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::SeaOrmMessageRepository;
use crate::domain::messages::Receipt;
use crate::domain::messages::ReceiptQueries;
use crate::domain::shared::{ConversationId, RepoError, UserId};
use crate::infrastructure::persistence::entities::participants;
use crate::infrastructure::persistence::unexpected;

#[async_trait]
impl ReceiptQueries for SeaOrmMessageRepository {
    #[tracing::instrument(name = "db.receipts", skip_all)]
    async fn receipts(
        &self,
        conversation: ConversationId,
        seq: i64,
        sender: UserId,
    ) -> Result<Vec<Receipt>, RepoError> {
        let rows = participants::Entity::find()
            .filter(participants::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(participants::Column::UserId.ne(sender.as_uuid()))
            .filter(
                Condition::any()
                    .add(participants::Column::DeliveredSeq.gte(seq))
                    .add(participants::Column::ReadSeq.gte(seq)),
            )
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| Receipt {
                user_id: UserId::from_uuid(row.user_id),
                delivered_at: (row.delivered_seq >= seq)
                    .then_some(row.delivered_at)
                    .flatten(),
                read_at: (row.read_seq >= seq).then_some(row.read_at).flatten(),
            })
            .collect())
    }
}
