use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // An upload that is a user's or a conversation's avatar is kept, and readable by who may
        // see that profile or conversation. `discarded`: no longer wanted, its bytes are removed
        // by the next cleanup pass (before the row, so a failed removal is retried).
        let columns = [
            uuid_null("avatar_user"),
            uuid_null("avatar_conversation"),
            boolean("discarded").default(false).to_owned(),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table("attachments")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["avatar_user", "avatar_conversation", "discarded"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("attachments")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
