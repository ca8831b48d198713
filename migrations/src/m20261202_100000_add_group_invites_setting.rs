use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Who may add the user to a group or channel: everyone, contacts or nobody.
        manager
            .alter_table(
                Table::alter()
                    .table("user_settings")
                    .add_column(string_len("group_invites", 16).default("everyone"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("user_settings")
                    .drop_column("group_invites")
                    .to_owned(),
            )
            .await
    }
}
