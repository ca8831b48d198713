use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("attachments")
                    .col(uuid("id").primary_key())
                    .col(uuid("uploader_id"))
                    .col(string_len("file_name", 800))
                    .col(string_len("media_type", 64))
                    .col(big_integer("size"))
                    .col(string_len("sha256", 64))
                    .col(integer_null("width"))
                    .col(integer_null("height"))
                    .col(boolean("has_thumbnail"))
                    .col(uuid_null("conversation_id"))
                    .col(uuid_null("message_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attachments_uploader")
                            .from("attachments", "uploader_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attachments_conversation")
                            .from("attachments", "conversation_id")
                            .to("conversations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Orphan cleanup: unbound uploads by age.
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_unbound")
                    .table("attachments")
                    .col("message_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("messages")
                    .add_column(string_len("attachment_ids", 400).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("messages")
                    .drop_column("attachment_ids")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("attachments").to_owned())
            .await
    }
}
