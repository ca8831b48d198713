//! Schema migrations, shared by SQLite and PostgreSQL. A merged migration is frozen: change the
//! schema with a new file, never by editing an old one.

pub use sea_orm_migration::prelude::*;

mod m20261121_120000_create_users;
mod m20261121_120100_create_sessions;
mod m20261121_120200_create_password_resets;
mod m20261122_090000_create_user_relations;
mod m20261122_100000_create_conversations;
mod m20261201_090000_create_notifications;
mod m20261201_100000_create_attachments;
mod m20261202_090000_create_outbox;
mod m20261202_100000_add_group_invites_setting;
mod m20261203_090000_add_fallback_prekey;
mod m20261203_100000_add_attachment_avatars;
mod m20261203_110000_create_account_activity;
mod m20261204_090000_create_email_digests;
mod m20261204_100000_add_outbox_trace_parent;
mod m20261205_090000_add_history_version;
mod m20261206_090000_create_business;
mod m20261207_090000_add_business_hours;
mod m20261208_090000_add_conversation_activity_cover;
mod m20261209_090000_add_case_resolved_through;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_120000_create_users::Migration),
            Box::new(m20261121_120100_create_sessions::Migration),
            Box::new(m20261121_120200_create_password_resets::Migration),
            Box::new(m20261122_090000_create_user_relations::Migration),
            Box::new(m20261122_100000_create_conversations::Migration),
            Box::new(m20261201_090000_create_notifications::Migration),
            Box::new(m20261201_100000_create_attachments::Migration),
            Box::new(m20261202_090000_create_outbox::Migration),
            Box::new(m20261202_100000_add_group_invites_setting::Migration),
            Box::new(m20261203_090000_add_fallback_prekey::Migration),
            Box::new(m20261203_100000_add_attachment_avatars::Migration),
            Box::new(m20261203_110000_create_account_activity::Migration),
            Box::new(m20261204_090000_create_email_digests::Migration),
            Box::new(m20261204_100000_add_outbox_trace_parent::Migration),
            Box::new(m20261205_090000_add_history_version::Migration),
            Box::new(m20261206_090000_create_business::Migration),
            Box::new(m20261207_090000_add_business_hours::Migration),
            Box::new(m20261208_090000_add_conversation_activity_cover::Migration),
            Box::new(m20261209_090000_add_case_resolved_through::Migration),
        ]
    }
}
