use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Counts changes to messages already sent (edits, deletions, reactions, expiry): with
        // `last_seq` it names one state of a conversation's history, so a cached copy can be
        // checked against the database in the statement that checks membership.
        manager
            .alter_table(
                Table::alter()
                    .table("conversations")
                    .add_column(big_integer("history_version").default(0))
                    .to_owned(),
            )
            .await?;
        // Unread counts are `last_seq - read_seq` less the deleted messages after `read_seq`:
        // this index finds those without reading the live ones.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_messages_deleted ON messages (conversation_id, seq) \
                 WHERE deleted_at IS NOT NULL",
            )
            .await?;
        // The chat list sorts a user's conversations by activity: this index gives their ids
        // without reading the participant rows (it replaces the one on `user_id` alone).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_participants_user_conversation \
                 ON participants (user_id, conversation_id)",
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_participants_user")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX idx_participants_user ON participants (user_id)")
            .await?;
        db.execute_unprepared("DROP INDEX idx_participants_user_conversation")
            .await?;
        db.execute_unprepared("DROP INDEX idx_messages_deleted")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("conversations")
                    .drop_column("history_version")
                    .to_owned(),
            )
            .await
    }
}
