use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 3] = [
    "fallback_prekey_id",
    "fallback_prekey",
    "fallback_prekey_signature",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A signed last-resort prekey, handed out when the one-time prekeys have run out.
        // One column per statement: SQLite alters one at a time.
        let columns = [
            big_integer_null(COLUMNS[0]),
            text_null(COLUMNS[1]),
            text_null(COLUMNS[2]),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table("user_keys")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("user_keys")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
