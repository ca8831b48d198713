use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(
    name: &str,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("conversations")
                    .col(uuid("id").primary_key())
                    .col(string_len("kind", 16))
                    .col(string_len_null("title", 400))
                    .col(string_len("description", 4000).default(""))
                    .col(uuid_null("avatar_id"))
                    // "low:high" user ids of a direct chat: at most one per pair.
                    .col(string_len_null("direct_key", 80).unique_key())
                    .col(uuid("created_by"))
                    .col(big_integer("last_seq").default(0))
                    .col(timestamp_with_time_zone("last_activity_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("participants")
                    .col(uuid("conversation_id"))
                    .col(uuid("user_id"))
                    .col(string_len("role", 16))
                    .col(boolean("muted").default(false))
                    .col(big_integer("read_seq").default(0))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .col(big_integer("delivered_seq").default(0))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone("joined_at"))
                    .primary_key(Index::create().col("conversation_id").col("user_id"))
                    .foreign_key(&mut cascade(
                        "fk_participants_conversation",
                        ("participants", "conversation_id"),
                        ("conversations", "id"),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_participants_user",
                        ("participants", "user_id"),
                        ("users", "id"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_participants_user")
                    .table("participants")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversations_activity")
                    .table("conversations")
                    .col("last_activity_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("messages")
                    .col(uuid("id").primary_key())
                    .col(uuid("conversation_id"))
                    .col(big_integer("seq"))
                    .col(uuid("sender_id"))
                    .col(text("content"))
                    .col(string_len_null("client_message_id", 64))
                    .col(uuid_null("reply_to"))
                    .col(big_integer("reply_count").default(0))
                    // JSON array of user ids.
                    .col(text("mentions").default("[]"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .foreign_key(&mut cascade(
                        "fk_messages_conversation",
                        ("messages", "conversation_id"),
                        ("conversations", "id"),
                    ))
                    .to_owned(),
            )
            .await?;
        // History, unread counts and catch-up all read by (conversation, seq).
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_conversation_seq")
                    .table("messages")
                    .col("conversation_id")
                    .col("seq")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Idempotent sends: one message per sender and key in a conversation. NULL keys never clash.
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_client_message_id")
                    .table("messages")
                    .col("conversation_id")
                    .col("sender_id")
                    .col("client_message_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_reply_to")
                    .table("messages")
                    .col("reply_to")
                    .col("seq")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_created")
                    .table("messages")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("reactions")
                    .col(uuid("message_id"))
                    .col(uuid("user_id"))
                    .col(string_len("emoji", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(
                        Index::create()
                            .col("message_id")
                            .col("user_id")
                            .col("emoji"),
                    )
                    .foreign_key(&mut cascade(
                        "fk_reactions_message",
                        ("reactions", "message_id"),
                        ("messages", "id"),
                    ))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE messages ADD COLUMN search tsvector \
                     GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX idx_messages_search ON messages USING GIN (search)",
                )
                .await?;
            }
            _ => {
                // An external-content FTS5 index over messages, kept in step by triggers.
                for sql in [
                    "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid')",
                    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN \
                       INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); END",
                    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN \
                       INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content); END",
                    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN \
                       INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content); \
                       INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); END",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS messages_fts")
                .await?;
        }
        for table in ["reactions", "messages", "participants", "conversations"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
