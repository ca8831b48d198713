use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The conversation's last seq when a case was resolved: only the customer's messages
        // after it reopen the case, so replaying the event log cannot reopen it.
        manager
            .alter_table(
                Table::alter()
                    .table("business_cases")
                    .add_column(big_integer_null("resolved_through"))
                    .to_owned(),
            )
            .await?;
        // Cases resolved before now answered every message stored so far.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE business_cases SET resolved_through = \
                 (SELECT last_seq FROM conversations WHERE conversations.id = \
                 business_cases.conversation_id) WHERE state = 'resolved'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("business_cases")
                    .drop_column("resolved_through")
                    .to_owned(),
            )
            .await
    }
}
