//! `/api/v1/users`: profiles and search (settings: `settings.rs`).

use actix_web::{HttpResponse, get, patch, web};
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
use super::settings;
use super::{AppState, check, cursor};
use crate::application::error::{AppError, FieldErrors};
use crate::application::users::{SearchUsers, SelfView};
use crate::domain::shared::UserId;
use crate::domain::users::{Bio, DisplayName, Profile, ProfileChanges, SearchPage, StatusText};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Literal `/users/me…` routes first, so `me` is never read as an `{id}`.
    cfg.service(get_me)
        .service(update_me)
        .service(settings::get_settings)
        .service(settings::update_settings)
        .service(search_users)
        .service(get_user);
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

impl SearchQuery {
    fn into_search(self) -> Result<SearchUsers, AppError> {
        let mut errors = FieldErrors::default();
        check(&self, &mut errors);
        let prefix = self.q.trim().to_lowercase();
        if prefix.is_empty() && errors.is_empty() {
            errors.add("q", "must not be blank");
        }
        let after = cursor(self.cursor.as_deref(), decode_cursor, &mut errors);
        errors.into_result()?;
        Ok(SearchUsers {
            prefix,
            after,
            limit: self.limit.unwrap_or(50),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<ProfileResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<SearchPage> for UserPage {
    fn from(page: SearchPage) -> Self {
        Self {
            users: page.profiles.into_iter().map(Into::into).collect(),
            next_cursor: page.next_after.map(|after| URL_SAFE_NO_PAD.encode(after)),
        }
    }
}

/// The caller's own profile, with email.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = MeResponse),))]
#[get("/users/me")]
pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Problem> {
    let me = state.users.own_profile.handle(user.id()).await?;
    Ok(HttpResponse::Ok().json(MeResponse::from(me)))
}

/// Change the caller's profile; only the fields given change.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    request_body = UpdateProfileBody,
    responses((status = 200, body = MeResponse), (status = 422, description = "Invalid fields")))]
#[patch("/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UpdateProfileBody>,
) -> Result<HttpResponse, Problem> {
    let changes = body.into_inner().into_changes()?;
    let me = state
        .users
        .update_profile
        .handle(user.id(), changes)
        .await?;
    Ok(HttpResponse::Ok().json(MeResponse::from(me)))
}

/// Find users by the start of their username or display name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = UserPage), (status = 422, description = "Bad query")))]
#[get("/users")]
pub async fn search_users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<SearchQuery>,
) -> Result<HttpResponse, Problem> {
    let search = query.into_inner().into_search()?;
    let page = state.users.search.handle(user.id(), search).await?;
    Ok(HttpResponse::Ok().json(UserPage::from(page)))
}

fn decode_cursor(cursor: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()
}

/// Someone's public profile.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileResponse),
    (status = 404, description = "`user_not_found`")))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let profile = state
        .users
        .profile
        .handle(user.id(), UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(ProfileResponse::from(profile)))
}
