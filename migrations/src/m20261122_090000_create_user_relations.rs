use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            string_len("bio", 2000).default("").to_owned(),
            string_len("status_text", 600).default("").to_owned(),
            uuid_null("avatar_id"),
            // Lowercased display name, for prefix search.
            string_len("search_name", 256).default("").to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table("users")
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE users SET search_name = lower(display_name)")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Byte-order collation makes `>= prefix AND < prefix+max` an exact prefix match that
            // a plain B-tree index serves, as it does on SQLite.
            db.execute_unprepared(
                r#"ALTER TABLE users ALTER COLUMN username TYPE varchar(32) COLLATE "C",
                   ALTER COLUMN search_name TYPE varchar(256) COLLATE "C""#,
            )
            .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_users_search_name")
                    .table("users")
                    .col("search_name")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_settings")
                    .col(uuid("user_id").primary_key())
                    .col(string_len("presence", 16))
                    .col(string_len("last_seen", 16))
                    .col(string_len("direct_messages", 16))
                    .col(boolean("notify_messages"))
                    .col(boolean("notify_mentions"))
                    .col(boolean("notify_contact_requests"))
                    .col(boolean("notify_group_invites"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_settings_user")
                            .from("user_settings", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // One row per pair, the smaller id first, so a pair can never have two relations.
        manager
            .create_table(
                Table::create()
                    .table("contacts")
                    .col(uuid("user_low"))
                    .col(uuid("user_high"))
                    .col(uuid("requested_by"))
                    .col(boolean("accepted"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("user_low").col("user_high"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contacts_low")
                            .from("contacts", "user_low")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contacts_high")
                            .from("contacts", "user_high")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contacts_high")
                    .table("contacts")
                    .col("user_high")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("blocks")
                    .col(uuid("blocker_id"))
                    .col(uuid("blocked_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("blocker_id").col("blocked_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_blocks_blocker")
                            .from("blocks", "blocker_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_blocks_blocked")
                            .from("blocks", "blocked_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_blocks_blocked")
                    .table("blocks")
                    .col("blocked_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_keys")
                    .col(uuid("user_id").primary_key())
                    .col(string_len("identity_key", 700))
                    .col(big_integer("signed_prekey_id"))
                    .col(string_len("signed_prekey", 700))
                    .col(string_len("signed_prekey_signature", 700))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_keys_user")
                            .from("user_keys", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("one_time_prekeys")
                    .col(uuid("user_id"))
                    .col(big_integer("key_id"))
                    .col(string_len("public_key", 700))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("user_id").col("key_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_one_time_prekeys_user")
                            .from("one_time_prekeys", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "one_time_prekeys",
            "user_keys",
            "blocks",
            "contacts",
            "user_settings",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_search_name")
                    .table("users")
                    .to_owned(),
            )
            .await?;
        for column in ["search_name", "avatar_id", "status_text", "bio"] {
            manager
                .alter_table(Table::alter().table("users").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
