use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each column its own statement: SQLite alters one at a time.
const COLUMNS: [&str; 4] = ["businesses", "business_teams", "business_cases", "messages"];

const INDEXES: [(&str, &str, &str); 2] = [
    (
        "idx_business_members_user_id",
        "business_members",
        "user_id",
    ),
    (
        "idx_business_cases_customer_id",
        "business_cases",
        "customer_id",
    ),
];

fn added(table: &'static str) -> Vec<ColumnDef> {
    match table {
        // Business hours: a weekly schedule and holidays in the business's time zone, and the
        // reply a customer gets when it is closed.
        "businesses" => vec![
            string_len("time_zone", 64).default("UTC").to_owned(),
            text("hours").default("[]").to_owned(),
            text("holidays").default("[]").to_owned(),
            string_len("closed_reply", 4000).default("").to_owned(),
        ],
        "business_teams" => vec![
            string_len("routing", 16).default("least_busy").to_owned(),
            integer_null("first_response_secs").to_owned(),
            uuid_null("escalate_to").to_owned(),
        ],
        // The queued notice is edited as the queue moves; `told_position` is what it says.
        "business_cases" => vec![
            timestamp_with_time_zone_null("escalated_at").to_owned(),
            uuid_null("notice_id").to_owned(),
            big_integer_null("told_position").to_owned(),
        ],
        // `text` (a person wrote it) or `system` (the server did, e.g. a case was assigned).
        _ => vec![string_len("kind", 16).default("text").to_owned()],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in COLUMNS {
            for mut column in added(table) {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .add_column(&mut column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        // A user's businesses, and a customer's cases: what hiding agents from customers
        // looks up on every profile read.
        for (name, table, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        for table in COLUMNS {
            for column in added(table) {
                let name = column.get_column_name();
                manager
                    .alter_table(
                        Table::alter()
                            .table(table)
                            .drop_column(Alias::new(name))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
