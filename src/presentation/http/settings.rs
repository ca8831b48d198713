//! `/api/v1/users/me/settings`: privacy and notification settings.

use actix_web::{HttpResponse, get, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::extract::AuthUser;
use super::input::Json;
use super::problem::Problem;
use crate::application::users::SettingsChanges;
use crate::domain::users::{DirectMessagePolicy, Settings, Visibility};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VisibilityBody {
    Everyone,
    Contacts,
    Nobody,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DirectMessagesBody {
    Everyone,
    Contacts,
}

impl From<VisibilityBody> for Visibility {
    fn from(v: VisibilityBody) -> Self {
        match v {
            VisibilityBody::Everyone => Self::Everyone,
            VisibilityBody::Contacts => Self::Contacts,
            VisibilityBody::Nobody => Self::Nobody,
        }
    }
}

impl From<Visibility> for VisibilityBody {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Everyone => Self::Everyone,
            Visibility::Contacts => Self::Contacts,
            Visibility::Nobody => Self::Nobody,
        }
    }
}

impl From<DirectMessagesBody> for DirectMessagePolicy {
    fn from(v: DirectMessagesBody) -> Self {
        match v {
            DirectMessagesBody::Everyone => Self::Everyone,
            DirectMessagesBody::Contacts => Self::Contacts,
        }
    }
}

impl From<DirectMessagePolicy> for DirectMessagesBody {
    fn from(v: DirectMessagePolicy) -> Self {
        match v {
            DirectMessagePolicy::Everyone => Self::Everyone,
            DirectMessagePolicy::Contacts => Self::Contacts,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrivacySettings {
    /// Who sees my online status.
    pub presence: VisibilityBody,
    /// Who sees when I was last online.
    pub last_seen: VisibilityBody,
    /// Who may start a direct chat with me.
    pub direct_messages: DirectMessagesBody,
    /// Who may add me to a group or channel (403 `group_invite_not_allowed` for the others).
    pub group_invites: VisibilityBody,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    pub messages: bool,
    pub mentions: bool,
    pub contact_requests: bool,
    pub group_invites: bool,
    /// A digest of unread notifications by e-mail after a while away; off unless turned on.
    pub email_digest: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsResponse {
    pub privacy: PrivacySettings,
    pub notifications: NotificationSettings,
}

impl From<Settings> for SettingsResponse {
    fn from(s: Settings) -> Self {
        Self {
            privacy: PrivacySettings {
                presence: s.presence.into(),
                last_seen: s.last_seen.into(),
                direct_messages: s.direct_messages.into(),
                group_invites: s.group_invites.into(),
            },
            notifications: NotificationSettings {
                messages: s.notifications.messages,
                mentions: s.notifications.mentions,
                contact_requests: s.notifications.contact_requests,
                group_invites: s.notifications.group_invites,
                email_digest: s.notifications.email_digest,
            },
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyChanges {
    pub presence: Option<VisibilityBody>,
    pub last_seen: Option<VisibilityBody>,
    pub direct_messages: Option<DirectMessagesBody>,
    pub group_invites: Option<VisibilityBody>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationChanges {
    pub messages: Option<bool>,
    pub mentions: Option<bool>,
    pub contact_requests: Option<bool>,
    pub group_invites: Option<bool>,
    pub email_digest: Option<bool>,
}

/// Only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettingsBody {
    #[serde(default)]
    pub privacy: PrivacyChanges,
    #[serde(default)]
    pub notifications: NotificationChanges,
}

impl From<UpdateSettingsBody> for SettingsChanges {
    fn from(body: UpdateSettingsBody) -> Self {
        let (privacy, notifications) = (body.privacy, body.notifications);
        Self {
            presence: privacy.presence.map(Into::into),
            last_seen: privacy.last_seen.map(Into::into),
            direct_messages: privacy.direct_messages.map(Into::into),
            group_invites: privacy.group_invites.map(Into::into),
            notify_messages: notifications.messages,
            notify_mentions: notifications.mentions,
            notify_contact_requests: notifications.contact_requests,
            notify_group_invites: notifications.group_invites,
            email_digest: notifications.email_digest,
        }
    }
}

/// The caller's privacy and notification settings.
#[utoipa::path(get, path = "/api/v1/users/me/settings", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = SettingsResponse),))]
#[get("/users/me/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let settings = state.users.settings.handle(user.id()).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(settings)))
}

/// Change settings; only the fields given change.
#[utoipa::path(patch, path = "/api/v1/users/me/settings", tag = "users", security(("bearer" = [])),
    request_body = UpdateSettingsBody,
    responses((status = 200, body = SettingsResponse),
    (status = 422, description = "Unknown field or value")))]
#[patch("/users/me/settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UpdateSettingsBody>,
) -> Result<HttpResponse, Problem> {
    let changes = SettingsChanges::from(body.into_inner());
    let settings = state
        .users
        .update_settings
        .handle(user.id(), changes)
        .await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(settings)))
}
