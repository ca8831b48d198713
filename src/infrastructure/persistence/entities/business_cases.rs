use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "business_cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: Uuid,
    pub business_id: Uuid,
    pub team_id: Uuid,
    pub customer_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub state: String,
    pub priority: i32,
    pub queued_at: TimeDateTimeWithTimeZone,
    pub assigned_at: Option<TimeDateTimeWithTimeZone>,
    pub first_response_at: Option<TimeDateTimeWithTimeZone>,
    pub resolved_at: Option<TimeDateTimeWithTimeZone>,
    pub resolved_through: Option<i64>,
    pub escalated_at: Option<TimeDateTimeWithTimeZone>,
    pub notice_id: Option<Uuid>,
    pub told_position: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
