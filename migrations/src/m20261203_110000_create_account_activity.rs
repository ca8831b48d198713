use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What happened to an account: sign-ins (and failed ones), password changes and
        // resets, sessions ended. Ids are time-ordered (UUIDv7): the list pages by id.
        manager
            .create_table(
                Table::create()
                    .table("account_activity")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("ip", 64))
                    .col(string_len_null("user_agent", 512))
                    .col(string_len_null("device_name", 100))
                    .col(uuid_null("session_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_activity_user")
                            .from("account_activity", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_activity_user")
                    .table("account_activity")
                    .col("user_id")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("account_activity").to_owned())
            .await
    }
}
