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
                    .table("businesses")
                    .col(uuid("id").primary_key())
                    .col(string_len("handle", 32).unique_key())
                    .col(string_len("name", 400))
                    .col(string_len("description", 4000).default(""))
                    .col(boolean("show_agent_names").default(false))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("business_members")
                    .col(uuid("business_id"))
                    .col(uuid("user_id"))
                    .col(string_len("role", 16))
                    .col(string_len("status", 16).default("offline"))
                    .col(integer("capacity"))
                    // Ties between equally busy agents go to the one idle longest.
                    .col(timestamp_with_time_zone_null("last_assigned_at"))
                    .primary_key(Index::create().col("business_id").col("user_id"))
                    .foreign_key(&mut cascade(
                        "fk_business_members_business",
                        ("business_members", "business_id"),
                        ("businesses", "id"),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_business_members_user",
                        ("business_members", "user_id"),
                        ("users", "id"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("business_teams")
                    .col(uuid("id").primary_key())
                    .col(uuid("business_id"))
                    .col(string_len("name", 400))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut cascade(
                        "fk_business_teams_business",
                        ("business_teams", "business_id"),
                        ("businesses", "id"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_business_teams_name")
                    .table("business_teams")
                    .col("business_id")
                    .col("name")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("business_team_agents")
                    .col(uuid("team_id"))
                    .col(uuid("user_id"))
                    .primary_key(Index::create().col("team_id").col("user_id"))
                    .foreign_key(&mut cascade(
                        "fk_business_team_agents_team",
                        ("business_team_agents", "team_id"),
                        ("business_teams", "id"),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_business_team_agents_user",
                        ("business_team_agents", "user_id"),
                        ("users", "id"),
                    ))
                    .to_owned(),
            )
            .await?;
        // A customer's conversation with a business: one per pair, reopened when resolved.
        manager
            .create_table(
                Table::create()
                    .table("business_cases")
                    .col(uuid("conversation_id").primary_key())
                    .col(uuid("business_id"))
                    .col(uuid("team_id"))
                    .col(uuid("customer_id"))
                    .col(uuid_null("agent_id"))
                    .col(string_len("state", 16))
                    .col(integer("priority").default(0))
                    .col(timestamp_with_time_zone("queued_at"))
                    .col(timestamp_with_time_zone_null("assigned_at"))
                    .col(timestamp_with_time_zone_null("first_response_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .foreign_key(&mut cascade(
                        "fk_business_cases_conversation",
                        ("business_cases", "conversation_id"),
                        ("conversations", "id"),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_business_cases_business",
                        ("business_cases", "business_id"),
                        ("businesses", "id"),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_business_cases_customer")
                    .table("business_cases")
                    .col("business_id")
                    .col("customer_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The queue, in routing order, and each agent's open work.
        manager
            .create_index(
                Index::create()
                    .name("idx_business_cases_queue")
                    .table("business_cases")
                    .col("team_id")
                    .col("state")
                    .col("priority")
                    .col("queued_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_business_cases_agent")
                    .table("business_cases")
                    .col("agent_id")
                    .col("state")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "business_cases",
            "business_team_agents",
            "business_teams",
            "business_members",
            "businesses",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
