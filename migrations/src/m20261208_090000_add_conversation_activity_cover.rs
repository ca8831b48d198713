use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The chat list sorts a user's conversations by activity: with this index each one's
        // activity is read from the index found by id, not from the conversation's row.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_conversations_id_activity \
                 ON conversations (id, last_activity_at)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_conversations_id_activity")
            .await?;
        Ok(())
    }
}
