use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The W3C traceparent of the change that recorded the event, so that what consumers do
        // with it (on any instance) joins the same trace.
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .add_column(string_len_null("trace_parent", 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .drop_column("trace_parent")
                    .to_owned(),
            )
            .await
    }
}
