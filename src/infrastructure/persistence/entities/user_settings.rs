use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub presence: String,
    pub last_seen: String,
    pub direct_messages: String,
    pub group_invites: String,
    pub notify_messages: bool,
    pub notify_mentions: bool,
    pub notify_contact_requests: bool,
    pub notify_group_invites: bool,
    pub email_digest: bool,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
