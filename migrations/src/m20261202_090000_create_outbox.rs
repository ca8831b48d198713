use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Positions must never be reused, even after every row was pruned: AUTOINCREMENT on
        // SQLite, a sequence on PostgreSQL.
        let outbox = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "CREATE TABLE outbox (position BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL, \
                 created_at_ms BIGINT NOT NULL)"
            }
            _ => {
                "CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, \
                 payload TEXT NOT NULL, created_at_ms BIGINT NOT NULL)"
            }
        };
        manager.get_connection().execute_unprepared(outbox).await?;
        manager
            .create_table(
                Table::create()
                    .table("outbox_consumers")
                    .col(string_len("name", 64).primary_key())
                    .col(big_integer("position"))
                    .col(string_len_null("owner", 64))
                    .col(big_integer("lease_until_ms").default(0))
                    .to_owned(),
            )
            .await?;
        // One row: the highest position pruned, so a reader behind it knows it missed events.
        manager
            .create_table(
                Table::create()
                    .table("outbox_state")
                    .col(integer("id").primary_key())
                    .col(big_integer("pruned_through"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO outbox_state (id, pruned_through) VALUES (1, 0)")
            .await?;
        // A push goes to a device once per notification, however often its event is replayed.
        manager
            .create_table(
                Table::create()
                    .table("push_receipts")
                    .col(uuid("notification_id"))
                    .col(uuid("device_id"))
                    .col(big_integer("sent_at_ms"))
                    .primary_key(Index::create().col("notification_id").col("device_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "push_receipts",
            "outbox_state",
            "outbox_consumers",
            "outbox",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
