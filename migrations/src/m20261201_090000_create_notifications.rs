use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string_len("kind", 32))
                    .col(uuid("actor_id"))
                    .col(uuid_null("conversation_id"))
                    .col(uuid_null("message_id"))
                    // One notification per recipient and message, whatever its kind.
                    .col(string_len_null("dedupe_key", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_user")
                            .from("notifications", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_actor")
                            .from("notifications", "actor_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_conversation")
                            .from("notifications", "conversation_id")
                            .to("conversations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_dedupe")
                    .table("notifications")
                    .col("user_id")
                    .col("dedupe_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The inbox, newest first, and its unread count.
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_inbox")
                    .table("notifications")
                    .col("user_id")
                    .col("read_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_conversation")
                    .table("notifications")
                    .col("conversation_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("devices")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string_len("platform", 16))
                    .col(string_len("token", 4096))
                    // Tokens can outgrow an index entry: uniqueness goes through their hash.
                    .col(string_len("token_hash", 64).unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_devices_user")
                            .from("devices", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_devices_user")
                    .table("devices")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["devices", "notifications"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
