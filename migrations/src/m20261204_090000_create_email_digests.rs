use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Opt-in: a digest of unread notifications by e-mail while the user is away.
        manager
            .alter_table(
                Table::alter()
                    .table("user_settings")
                    .add_column(boolean("email_digest").default(false))
                    .to_owned(),
            )
            .await?;
        // When each user's last digest went out: at most one per period, across instances.
        manager
            .create_table(
                Table::create()
                    .table("email_digests")
                    .col(uuid("user_id").primary_key())
                    .col(timestamp_with_time_zone("sent_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("email_digests").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("user_settings")
                    .drop_column("email_digest")
                    .to_owned(),
            )
            .await
    }
}
