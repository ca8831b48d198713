//! `/api/v1/users` and `/api/v1/contacts`: profiles, settings, search, contacts, blocks, keys.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::{Json, Query};
use super::problem::Problem;
use super::{AppState, check};
use crate::application::error::{AppError, FieldErrors};
use crate::application::users::{ContactView, SearchUsers, SelfView, SettingsChanges, UploadKeys};
use crate::domain::shared::UserId;
use crate::domain::users::{
    Bio, ContactStatus, DirectMessagePolicy, DisplayName, KeyBundle, KeyStatus, OneTimePrekey,
    Profile, ProfileChanges, PublicKey, Settings, SignedPrekey, StatusText, Visibility,
    check_prekeys,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Literal `/users/me…` routes first, so `me` is never read as an `{id}`.
    cfg.service(get_me)
        .service(update_me)
        .service(get_settings)
        .service(update_settings)
        .service(list_blocks)
        .service(upload_keys)
        .service(key_status)
        .service(search_users)
        .service(get_user)
        .service(block_user)
        .service(unblock_user)
        .service(get_key_bundle)
        .service(list_contacts)
        .service(request_contact)
        .service(accept_contact)
        .service(remove_contact);
}

/// A user's public profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub status_text: String,
    /// Attachment id of the avatar image.
    pub avatar_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Profile> for ProfileResponse {
    fn from(p: Profile) -> Self {
        Self {
            id: p.id.as_uuid(),
            username: p.username.as_str().to_owned(),
            display_name: p.display_name.as_str().to_owned(),
            bio: p.bio.as_str().to_owned(),
            status_text: p.status_text.as_str().to_owned(),
            avatar_id: p.avatar_id,
            created_at: p.created_at,
        }
    }
}

/// The caller's own profile: the public one plus the email.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    pub profile: ProfileResponse,
    pub email: String,
}

impl From<SelfView> for MeResponse {
    fn from(view: SelfView) -> Self {
        Self {
            email: view.email.as_str().to_owned(),
            profile: view.profile.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileBody {
    pub display_name: Option<String>,
    /// Up to 500 characters; empty clears it.
    pub bio: Option<String>,
    /// Up to 140 characters on one line; empty clears it.
    pub status_text: Option<String>,
    /// An image the caller uploaded and has not sent (else 422): kept from then on, readable
    /// by every signed-in user; the avatar it replaces is removed. `null` removes the avatar.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub avatar_id: Option<Option<Uuid>>,
}

impl UpdateProfileBody {
    pub(crate) fn into_changes(self) -> Result<ProfileChanges, AppError> {
        let mut errors = FieldErrors::default();
        let mut changes = ProfileChanges {
            avatar_id: self.avatar_id,
            ..Default::default()
        };
        if let Some(raw) = self.display_name {
            changes.display_name = errors.check("display_name", DisplayName::parse(&raw));
        }
        if let Some(raw) = self.bio {
            changes.bio = errors.check("bio", Bio::parse(&raw));
        }
        if let Some(raw) = self.status_text {
            changes.status_text = errors.check("status_text", StatusText::parse(&raw));
        }
        errors.into_result()?;
        Ok(changes)
    }
}

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

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct SearchQuery {
    /// Prefix of a username or display name, case-insensitive.
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters long"))]
    #[param(min_length = 1, max_length = 64)]
    pub q: String,
    /// 1 to 100, default 50.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<ProfileResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatusBody {
    Accepted,
    Incoming,
    Outgoing,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactResponse {
    pub user: ProfileResponse,
    pub status: ContactStatusBody,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

impl From<ContactView> for ContactResponse {
    fn from(view: ContactView) -> Self {
        let status = match view.status {
            ContactStatus::Accepted => ContactStatusBody::Accepted,
            ContactStatus::Incoming => ContactStatusBody::Incoming,
            ContactStatus::Outgoing => ContactStatusBody::Outgoing,
        };
        Self {
            user: view.profile.into(),
            status,
            since: view.since,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactListResponse {
    /// Accepted contacts.
    pub contacts: Vec<ContactResponse>,
    /// Requests others sent me.
    pub incoming: Vec<ContactResponse>,
    /// Requests I sent.
    pub outgoing: Vec<ContactResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequestBody {
    pub user_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockResponse {
    pub user: ProfileResponse,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockListResponse {
    pub blocks: Vec<BlockResponse>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedPrekeyBody {
    #[schema(value_type = u64, maximum = 4294967295_u64)]
    pub key_id: u32,
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub public_key: String,
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub signature: String,
}

impl From<&SignedPrekey> for SignedPrekeyBody {
    fn from(key: &SignedPrekey) -> Self {
        Self {
            key_id: key.key_id,
            public_key: key.public_key.as_str().to_owned(),
            signature: key.signature.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneTimePrekeyBody {
    #[schema(value_type = u64, maximum = 4294967295_u64)]
    pub key_id: u32,
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub public_key: String,
}

/// Public keys only; the identity key and signed prekey replace earlier ones, one-time
/// prekeys are added (up to 100 per upload).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadKeysBody {
    /// Standard base64, 1 to 512 bytes.
    #[schema(
        min_length = 4,
        max_length = 684,
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
    )]
    pub identity_key: String,
    pub signed_prekey: SignedPrekeyBody,
    /// Signed last-resort prekey, handed out once the one-time prekeys run out; replaces the
    /// stored one when given, kept when omitted.
    #[serde(default)]
    pub fallback_prekey: Option<SignedPrekeyBody>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub one_time_prekeys: Vec<OneTimePrekeyBody>,
}

impl UploadKeysBody {
    pub(crate) fn into_command(self) -> Result<UploadKeys, AppError> {
        let mut errors = FieldErrors::default();
        let identity_key = errors.check("identity_key", PublicKey::parse(&self.identity_key));
        let public_key = errors.check(
            "signed_prekey.public_key",
            PublicKey::parse(&self.signed_prekey.public_key),
        );
        let signature = errors.check(
            "signed_prekey.signature",
            PublicKey::parse(&self.signed_prekey.signature),
        );
        let mut one_time_prekeys = Vec::with_capacity(self.one_time_prekeys.len());
        for (i, key) in self.one_time_prekeys.into_iter().enumerate() {
            if let Some(public_key) = errors.check(
                &format!("one_time_prekeys[{i}].public_key"),
                PublicKey::parse(&key.public_key),
            ) {
                one_time_prekeys.push(OneTimePrekey {
                    key_id: key.key_id,
                    public_key,
                });
            }
        }
        errors.check("one_time_prekeys", check_prekeys(&one_time_prekeys));
        let fallback_prekey = self.fallback_prekey.and_then(|body| {
            let public_key = errors.check(
                "fallback_prekey.public_key",
                PublicKey::parse(&body.public_key),
            )?;
            let signature = errors.check(
                "fallback_prekey.signature",
                PublicKey::parse(&body.signature),
            )?;
            Some(SignedPrekey {
                key_id: body.key_id,
                public_key,
                signature,
            })
        });
        let (Some(identity_key), Some(public_key), Some(signature), true) =
            (identity_key, public_key, signature, errors.is_empty())
        else {
            return Err(AppError::Invalid(errors));
        };
        let signed_prekey = SignedPrekey {
            key_id: self.signed_prekey.key_id,
            public_key,
            signature,
        };
        Ok(UploadKeys {
            identity_key,
            signed_prekey,
            fallback_prekey,
            one_time_prekeys,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyStatusResponse {
    /// One-time prekeys still unclaimed; upload more when it runs low.
    pub one_time_prekeys_left: u64,
    /// Whether a fallback prekey is stored for when they run out.
    pub has_fallback_prekey: bool,
}

impl From<KeyStatus> for KeyStatusResponse {
    fn from(status: KeyStatus) -> Self {
        Self {
            one_time_prekeys_left: status.one_time_prekeys_left,
            has_fallback_prekey: status.has_fallback_prekey,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBundleResponse {
    pub user_id: Uuid,
    pub identity_key: String,
    pub signed_prekey: SignedPrekeyBody,
    /// Claimed for the caller alone; `null` when the owner has none left.
    pub one_time_prekey: Option<OneTimePrekeyBody>,
    /// The owner's signed last-resort prekey, only when `one_time_prekey` is `null` (and the
    /// owner uploaded one).
    pub fallback_prekey: Option<SignedPrekeyBody>,
}

impl KeyBundleResponse {
    pub(crate) fn new(user_id: Uuid, bundle: KeyBundle) -> Self {
        Self {
            user_id,
            identity_key: bundle.identity_key.as_str().to_owned(),
            signed_prekey: SignedPrekeyBody::from(&bundle.signed_prekey),
            one_time_prekey: bundle.one_time_prekey.map(|k| OneTimePrekeyBody {
                key_id: k.key_id,
                public_key: k.public_key.as_str().to_owned(),
            }),
            fallback_prekey: bundle.fallback_prekey.as_ref().map(SignedPrekeyBody::from),
        }
    }
}

/// The caller's own profile, with email.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/users/me")]
pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Problem> {
    let me = state.users.profiles.me(user.0.user_id).await?;
    Ok(HttpResponse::Ok().json(MeResponse::from(me)))
}

/// Change the caller's profile; only the fields given change.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])), request_body = UpdateProfileBody,
    responses((status = 200, body = MeResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
#[patch("/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UpdateProfileBody>,
) -> Result<HttpResponse, Problem> {
    let changes = body.into_inner().into_changes()?;
    let me = state.users.profiles.update(user.0.user_id, changes).await?;
    Ok(HttpResponse::Ok().json(MeResponse::from(me)))
}

/// The caller's privacy and notification settings.
#[utoipa::path(get, path = "/api/v1/users/me/settings", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = SettingsResponse), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/users/me/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let settings = state.users.settings.get(user.0.user_id).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(settings)))
}

/// Change settings; only the fields given change.
#[utoipa::path(patch, path = "/api/v1/users/me/settings", tag = "users", security(("bearer" = [])), request_body = UpdateSettingsBody,
    responses((status = 200, body = SettingsResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown field or value", body = Problem, content_type = "application/problem+json")))]
#[patch("/users/me/settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UpdateSettingsBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let changes = SettingsChanges {
        presence: body.privacy.presence.map(Into::into),
        last_seen: body.privacy.last_seen.map(Into::into),
        direct_messages: body.privacy.direct_messages.map(Into::into),
        group_invites: body.privacy.group_invites.map(Into::into),
        notify_messages: body.notifications.messages,
        notify_mentions: body.notifications.mentions,
        notify_contact_requests: body.notifications.contact_requests,
        notify_group_invites: body.notifications.group_invites,
        email_digest: body.notifications.email_digest,
    };
    let settings = state.users.settings.update(user.0.user_id, changes).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(settings)))
}

/// Find users by the start of their username or display name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = UserPage), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad query", body = Problem, content_type = "application/problem+json")))]
#[get("/users")]
pub async fn search_users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<SearchQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.into_inner();
    let mut errors = FieldErrors::default();
    check(&query, &mut errors);
    let prefix = query.q.trim().to_lowercase();
    if prefix.is_empty() && errors.is_empty() {
        errors.add("q", "must not be blank");
    }
    let after = match query.cursor.as_deref().map(decode_cursor) {
        Some(None) => {
            errors.add("cursor", "is not a cursor from this API");
            None
        }
        Some(Some(after)) => Some(after),
        None => None,
    };
    errors.into_result()?;
    let search = SearchUsers {
        prefix,
        after,
        limit: query.limit.unwrap_or(50),
    };
    let page = state.users.profiles.search(user.0.user_id, search).await?;
    Ok(HttpResponse::Ok().json(UserPage {
        users: page.profiles.into_iter().map(Into::into).collect(),
        next_cursor: page.next_after.map(|after| URL_SAFE_NO_PAD.encode(after)),
    }))
}

fn decode_cursor(cursor: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()
}

/// Someone's public profile.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`", body = Problem, content_type = "application/problem+json")))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let profile = state
        .users
        .profiles
        .get(user.0.user_id, UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(ProfileResponse::from(profile)))
}

/// Block a user: ends any contact relation; they can no longer find me, see my presence, start
/// a direct chat with me or message me directly.
#[utoipa::path(put, path = "/api/v1/users/{id}/block", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Blocked (also when already blocked)"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Blocking oneself", body = Problem, content_type = "application/problem+json")))]
#[put("/users/{id}/block")]
pub async fn block_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .users
        .contacts
        .block(user.0.user_id, UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unblock a user.
#[utoipa::path(delete, path = "/api/v1/users/{id}/block", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Unblocked"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`block_not_found`", body = Problem, content_type = "application/problem+json")))]
#[delete("/users/{id}/block")]
pub async fn unblock_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .users
        .contacts
        .unblock(user.0.user_id, UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Users the caller blocked, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/blocks", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = BlockListResponse), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/users/me/blocks")]
pub async fn list_blocks(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let blocks = state.users.contacts.blocked(user.0.user_id).await?;
    let blocks = blocks
        .into_iter()
        .map(|(profile, since)| BlockResponse {
            user: profile.into(),
            since,
        })
        .collect();
    Ok(HttpResponse::Ok().json(BlockListResponse { blocks }))
}

/// How many of the caller's one-time prekeys are left, and whether a fallback is stored.
#[utoipa::path(get, path = "/api/v1/users/me/keys", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = KeyStatusResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`keys_not_found`: none uploaded yet", body = Problem, content_type = "application/problem+json")))]
#[get("/users/me/keys")]
pub async fn key_status(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let status = state.users.keys.status(user.0.user_id).await?;
    Ok(HttpResponse::Ok().json(KeyStatusResponse::from(status)))
}

/// Upload the caller's public E2EE keys.
#[utoipa::path(put, path = "/api/v1/users/me/keys", tag = "users", security(("bearer" = [])), request_body = UploadKeysBody,
    responses((status = 200, body = KeyStatusResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid keys", body = Problem, content_type = "application/problem+json")))]
#[put("/users/me/keys")]
pub async fn upload_keys(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UploadKeysBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command()?;
    let status = state.users.keys.upload(user.0.user_id, command).await?;
    Ok(HttpResponse::Ok().json(KeyStatusResponse::from(status)))
}

/// Fetch a user's key bundle; claims one of their one-time prekeys for the caller (or, once
/// they are gone, hands out the fallback prekey).
#[utoipa::path(get, path = "/api/v1/users/{id}/keys", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = KeyBundleResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: this caller claimed too many of this user's prekeys; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`keys_not_found`: no keys uploaded (or not visible)", body = Problem, content_type = "application/problem+json")))]
#[get("/users/{id}/keys")]
pub async fn get_key_bundle(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let owner = UserId::from_uuid(*id);
    let bundle = state.users.keys.bundle(user.0.user_id, owner).await?;
    Ok(HttpResponse::Ok().json(KeyBundleResponse::new(*id, bundle)))
}

/// Contacts and pending requests both ways.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    responses((status = 200, body = ContactListResponse), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let list = state.users.contacts.list(user.0.user_id).await?;
    let map = |views: Vec<ContactView>| views.into_iter().map(ContactResponse::from).collect();
    Ok(HttpResponse::Ok().json(ContactListResponse {
        contacts: map(list.contacts),
        incoming: map(list.incoming),
        outgoing: map(list.outgoing),
    }))
}

/// Ask someone to become a contact. If they already asked the caller, this accepts.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])), request_body = ContactRequestBody,
    responses((status = 200, description = "The relation now: `outgoing`, or `accepted`", body = ContactResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`user_blocked`: unblock them first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Oneself", body = Problem, content_type = "application/problem+json")))]
#[post("/contacts")]
pub async fn request_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<ContactRequestBody>,
) -> Result<HttpResponse, Problem> {
    let view = state
        .users
        .contacts
        .request(user.0.user_id, UserId::from_uuid(body.user_id))
        .await?;
    Ok(HttpResponse::Ok().json(ContactResponse::from(view)))
}

/// Accept a contact request.
#[utoipa::path(post, path = "/api/v1/contacts/{user_id}/accept", tag = "contacts", security(("bearer" = [])), params(("user_id" = Uuid, Path)),
    responses((status = 200, body = ContactResponse), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`contact_request_not_found`", body = Problem, content_type = "application/problem+json")))]
#[post("/contacts/{user_id}/accept")]
pub async fn accept_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let view = state
        .users
        .contacts
        .accept(user.0.user_id, UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(ContactResponse::from(view)))
}

/// Remove a contact, decline a request or withdraw one.
#[utoipa::path(delete, path = "/api/v1/contacts/{user_id}", tag = "contacts", security(("bearer" = [])), params(("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`contact_not_found`", body = Problem, content_type = "application/problem+json")))]
#[delete("/contacts/{user_id}")]
pub async fn remove_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .users
        .contacts
        .remove(user.0.user_id, UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
