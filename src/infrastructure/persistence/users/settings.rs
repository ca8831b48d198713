//! Privacy and notification settings.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::shared::{RepoError, UserId};
use crate::domain::users::{
    DirectMessagePolicy, NotificationPreferences, Settings, SettingsRepository, Visibility,
};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::user_settings;
use crate::infrastructure::persistence::{corrupt, row_by_id, unexpected};

pub struct SeaOrmSettingsRepository {
    db: Db,
}

impl SeaOrmSettingsRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn visibility_to_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Everyone => "everyone",
        Visibility::Contacts => "contacts",
        Visibility::Nobody => "nobody",
    }
}

fn visibility_from_str(v: &str) -> Result<Visibility, RepoError> {
    match v {
        "everyone" => Ok(Visibility::Everyone),
        "contacts" => Ok(Visibility::Contacts),
        "nobody" => Ok(Visibility::Nobody),
        _ => Err(corrupt("visibility")),
    }
}

fn settings_of(row: user_settings::Model) -> Result<Settings, RepoError> {
    Ok(Settings {
        presence: visibility_from_str(&row.presence)?,
        last_seen: visibility_from_str(&row.last_seen)?,
        direct_messages: match row.direct_messages.as_str() {
            "everyone" => DirectMessagePolicy::Everyone,
            "contacts" => DirectMessagePolicy::Contacts,
            _ => return Err(corrupt("direct_messages")),
        },
        group_invites: visibility_from_str(&row.group_invites)?,
        notifications: NotificationPreferences {
            messages: row.notify_messages,
            mentions: row.notify_mentions,
            contact_requests: row.notify_contact_requests,
            group_invites: row.notify_group_invites,
            email_digest: row.email_digest,
        },
    })
}

#[async_trait]
impl SettingsRepository for SeaOrmSettingsRepository {
    async fn get(&self, user: UserId) -> Result<Settings, RepoError> {
        let row = row_by_id::<user_settings::Entity>(&self.db, user.as_uuid()).await?;
        row.map_or_else(|| Ok(Settings::default()), settings_of)
    }

    async fn get_many(&self, users: &[UserId]) -> Result<HashMap<UserId, Settings>, RepoError> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = users.iter().map(|u| u.as_uuid()).collect();
        let rows = user_settings::Entity::find()
            .filter(user_settings::Column::UserId.is_in(ids))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter()
            .map(|row| Ok((UserId::from_uuid(row.user_id), settings_of(row)?)))
            .collect()
    }

    async fn save(
        &self,
        user: UserId,
        settings: &Settings,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let row = user_settings::ActiveModel {
            user_id: Set(user.as_uuid()),
            presence: Set(visibility_to_str(settings.presence).to_owned()),
            last_seen: Set(visibility_to_str(settings.last_seen).to_owned()),
            direct_messages: Set(match settings.direct_messages {
                DirectMessagePolicy::Everyone => "everyone",
                DirectMessagePolicy::Contacts => "contacts",
            }
            .to_owned()),
            group_invites: Set(visibility_to_str(settings.group_invites).to_owned()),
            notify_messages: Set(settings.notifications.messages),
            notify_mentions: Set(settings.notifications.mentions),
            notify_contact_requests: Set(settings.notifications.contact_requests),
            notify_group_invites: Set(settings.notifications.group_invites),
            email_digest: Set(settings.notifications.email_digest),
            updated_at: Set(now),
        };
        use user_settings::Column as C;
        let upsert = OnConflict::column(C::UserId)
            .update_columns([
                C::Presence,
                C::LastSeen,
                C::DirectMessages,
                C::GroupInvites,
                C::NotifyMessages,
                C::NotifyMentions,
                C::NotifyContactRequests,
                C::NotifyGroupInvites,
                C::EmailDigest,
                C::UpdatedAt,
            ])
            .to_owned();
        user_settings::Entity::insert(row)
            .on_conflict(upsert)
            .exec_without_returning(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}
