use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub identity_key: String,
    pub signed_prekey_id: i64,
    pub signed_prekey: String,
    pub signed_prekey_signature: String,
    pub fallback_prekey_id: Option<i64>,
    pub fallback_prekey: Option<String>,
    pub fallback_prekey_signature: Option<String>,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
