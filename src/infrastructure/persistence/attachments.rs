//! Attachment metadata; the bytes live in the file store.

use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use time::OffsetDateTime;

use super::db::Db;
use super::entities::attachments;
use super::unexpected;
use crate::domain::attachments::{Attachment, AttachmentRepository, AvatarOf, FileName, MediaType};
use crate::domain::shared::{AttachmentId, ConversationId, MessageId, RepoError, UserId};

fn from_row(row: attachments::Model) -> Result<Attachment, RepoError> {
    let corrupt = |what: &str| RepoError::Unexpected(anyhow::anyhow!("stored {what} is invalid"));
    Ok(Attachment {
        id: AttachmentId::from_uuid(row.id),
        uploader_id: UserId::from_uuid(row.uploader_id),
        file_name: FileName::from_stored(row.file_name),
        media_type: MediaType::from_mime(&row.media_type).ok_or_else(|| corrupt("media type"))?,
        size: u64::try_from(row.size).map_err(|_| corrupt("size"))?,
        sha256: row.sha256,
        width: row.width.and_then(|w| u32::try_from(w).ok()),
        height: row.height.and_then(|h| u32::try_from(h).ok()),
        has_thumbnail: row.has_thumbnail,
        conversation_id: row.conversation_id.map(ConversationId::from_uuid),
        message_id: row.message_id.map(MessageId::from_uuid),
        created_at: row.created_at,
        avatar_of: match (row.avatar_user, row.avatar_conversation) {
            (Some(user), _) => Some(AvatarOf::User(UserId::from_uuid(user))),
            (None, Some(id)) => Some(AvatarOf::Conversation(ConversationId::from_uuid(id))),
            (None, None) => None,
        },
    })
}

/// Neither sent in a message nor an avatar, nor discarded yet: free to be sent or made an
/// avatar, or removed as an orphan.
pub(super) fn unclaimed() -> Condition {
    use attachments::Column as A;
    Condition::all()
        .add(A::MessageId.is_null())
        .add(A::AvatarUser.is_null())
        .add(A::AvatarConversation.is_null())
        .add(A::Discarded.eq(false))
}

fn avatar_of(of: AvatarOf) -> Condition {
    use attachments::Column as A;
    match of {
        AvatarOf::User(user) => Condition::all().add(A::AvatarUser.eq(user.as_uuid())),
        AvatarOf::Conversation(id) => Condition::all().add(A::AvatarConversation.eq(id.as_uuid())),
    }
}

pub struct SeaOrmAttachmentRepository {
    db: Db,
}

impl SeaOrmAttachmentRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AttachmentRepository for SeaOrmAttachmentRepository {
    async fn insert(&self, a: &Attachment) -> Result<(), RepoError> {
        let row = attachments::ActiveModel {
            id: Set(a.id.as_uuid()),
            uploader_id: Set(a.uploader_id.as_uuid()),
            file_name: Set(a.file_name.as_str().to_owned()),
            media_type: Set(a.media_type.as_mime().to_owned()),
            size: Set(i64::try_from(a.size).unwrap_or(i64::MAX)),
            sha256: Set(a.sha256.clone()),
            width: Set(a.width.and_then(|w| i32::try_from(w).ok())),
            height: Set(a.height.and_then(|h| i32::try_from(h).ok())),
            has_thumbnail: Set(a.has_thumbnail),
            conversation_id: Set(a.conversation_id.map(|c| c.as_uuid())),
            message_id: Set(a.message_id.map(|m| m.as_uuid())),
            created_at: Set(a.created_at),
            avatar_user: Set(None),
            avatar_conversation: Set(None),
            discarded: Set(false),
        };
        attachments::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn find(&self, id: AttachmentId) -> Result<Option<Attachment>, RepoError> {
        attachments::Entity::find_by_id(id.as_uuid())
            .filter(attachments::Column::Discarded.eq(false))
            .one(&self.db)
            .await
            .map_err(unexpected)?
            .map(from_row)
            .transpose()
    }

    async fn orphans(
        &self,
        before: OffsetDateTime,
        limit: u64,
    ) -> Result<Vec<Attachment>, RepoError> {
        use attachments::Column as A;
        attachments::Entity::find()
            .filter(
                Condition::any()
                    .add(A::Discarded.eq(true))
                    .add(unclaimed().add(A::CreatedAt.lt(before))),
            )
            .order_by_asc(A::CreatedAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(from_row)
            .collect()
    }

    async fn discard_orphan(&self, id: AttachmentId) -> Result<bool, RepoError> {
        use attachments::Column as A;
        let result = attachments::Entity::update_many()
            .col_expr(A::Discarded, Expr::value(true))
            .filter(A::Id.eq(id.as_uuid()))
            .filter(Condition::any().add(A::Discarded.eq(true)).add(unclaimed()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn delete_discarded(&self, id: AttachmentId) -> Result<(), RepoError> {
        use attachments::Column as A;
        attachments::Entity::delete_many()
            .filter(A::Id.eq(id.as_uuid()))
            .filter(A::Discarded.eq(true))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn set_avatar(
        &self,
        id: AttachmentId,
        uploader: UserId,
        of: AvatarOf,
    ) -> Result<bool, RepoError> {
        use attachments::Column as A;
        let txn = self.db.begin().await.map_err(unexpected)?;
        let (user, conversation) = match of {
            AvatarOf::User(user) => (Some(user.as_uuid()), None),
            AvatarOf::Conversation(id) => (None, Some(id.as_uuid())),
        };
        let taken = attachments::Entity::update_many()
            .col_expr(A::AvatarUser, Expr::value(user))
            .col_expr(A::AvatarConversation, Expr::value(conversation))
            .filter(A::Id.eq(id.as_uuid()))
            .filter(A::UploaderId.eq(uploader.as_uuid()))
            .filter(A::HasThumbnail.eq(true))
            .filter(unclaimed())
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        if taken.rows_affected != 1 {
            return Ok(false);
        }
        attachments::Entity::update_many()
            .col_expr(A::Discarded, Expr::value(true))
            .filter(avatar_of(of))
            .filter(A::Id.ne(id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)?;
        Ok(true)
    }

    async fn remove_avatar(&self, of: AvatarOf) -> Result<(), RepoError> {
        use attachments::Column as A;
        attachments::Entity::update_many()
            .col_expr(A::Discarded, Expr::value(true))
            .filter(avatar_of(of))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}

/// Discards every file of a conversation being deleted (its messages' and its avatar), in
/// `db`'s transaction: the next cleanup pass removes them.
pub(super) async fn discard_conversation_files<C: ConnectionTrait>(
    db: &C,
    id: ConversationId,
) -> Result<(), RepoError> {
    use attachments::Column as A;
    attachments::Entity::update_many()
        .col_expr(A::ConversationId, Expr::value(Option::<uuid::Uuid>::None))
        .col_expr(A::MessageId, Expr::value(Option::<uuid::Uuid>::None))
        .col_expr(
            A::AvatarConversation,
            Expr::value(Option::<uuid::Uuid>::None),
        )
        .col_expr(A::Discarded, Expr::value(true))
        .filter(
            Condition::any()
                .add(A::ConversationId.eq(id.as_uuid()))
                .add(A::AvatarConversation.eq(id.as_uuid())),
        )
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}
