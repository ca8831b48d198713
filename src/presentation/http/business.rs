//! `/api/v1/businesses`: create, search, read and change a business's public profile.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::{Json, Query};
use super::problem::Problem;
use super::{AppState, validated};
use crate::application::business::{NewBusiness, ProfileChange};
use crate::application::error::{AppError, FieldErrors};
use crate::domain::business::{Business, BusinessError, BusinessId, Handle, Opening, parse_name};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_business)
        .service(search_businesses)
        .service(get_business)
        .service(update_business);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessResponse {
    pub id: Uuid,
    pub handle: String,
    pub name: String,
    pub description: String,
    /// Whether customers see which agent answers them.
    pub show_agent_names: bool,
    /// The IANA time zone the hours and holidays are in.
    pub time_zone: String,
    /// The weekly schedule; empty: always open (but on holidays).
    pub hours: Vec<OpeningBody>,
    /// Whole days closed, as local dates.
    pub holidays: Vec<String>,
    /// What a customer writing while it is closed is told before the next opening time;
    /// empty for the default words.
    pub closed_reply: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Open on `day` from `opens` to `closes`, local times (`24:00` is midnight at the end).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"day": "mon", "opens": "09:00", "closes": "17:30"}))]
#[serde(deny_unknown_fields)]
pub struct OpeningBody {
    #[schema(pattern = "^(mon|tue|wed|thu|fri|sat|sun)$")]
    pub day: String,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub opens: String,
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    pub closes: String,
}

impl From<Business> for BusinessResponse {
    fn from(b: Business) -> Self {
        Self {
            id: b.id.as_uuid(),
            handle: b.handle.as_str().to_owned(),
            name: b.name,
            description: b.description,
            show_agent_names: b.show_agent_names,
            time_zone: b.hours.time_zone().to_owned(),
            hours: b
                .hours
                .weekly()
                .iter()
                .map(|o| OpeningBody {
                    day: o.day_name().to_owned(),
                    opens: Opening::label(o.opens),
                    closes: Opening::label(o.closes),
                })
                .collect(),
            holidays: b.hours.holidays(),
            closed_reply: b.closed_reply,
            created_at: b.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"handle": "acme_support", "name": "Acme Support"}))]
#[serde(deny_unknown_fields)]
pub struct CreateBusinessBody {
    /// 3 to 32 characters: lowercase letters, digits and `_`, starting with a letter.
    #[schema(pattern = "^[a-z][a-z0-9_]{2,31}$")]
    pub handle: String,
    /// 1 to 100 characters on one line.
    #[schema(max_length = 100, pattern = r"\S")]
    pub name: String,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

impl CreateBusinessBody {
    fn into_command(self) -> Result<NewBusiness, AppError> {
        let mut errors = FieldErrors::default();
        let handle = errors.check("handle", Handle::parse(&self.handle));
        errors.check("name", parse_name(&self.name));
        let description = self.description.unwrap_or_default();
        if description.trim().chars().count() > 1000 {
            errors.add("description", BusinessError::DescriptionTooLong.to_string());
        }
        errors.into_result()?;
        let Some(handle) = handle else {
            return Err(AppError::invalid("handle", "is required"));
        };
        Ok(NewBusiness {
            handle,
            name: self.name,
            description,
        })
    }
}

/// Creates a business owned by the caller, with one team, "General", that the caller works in.
#[utoipa::path(post, path = "/api/v1/businesses", tag = "business", security(("bearer" = [])),
    request_body = CreateBusinessBody,
    responses((status = 201, body = BusinessResponse),
    (status = 409, description = "`handle_taken`"),
    (status = 429, description = "`rate_limited`: see `Retry-After`"),
    (status = 422, description = "Invalid fields")))]
#[post("/businesses")]
pub async fn create_business(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateBusinessBody>,
) -> Result<HttpResponse, Problem> {
    let new = body.into_inner().into_command()?;
    let business = state.business.create.handle(user.id(), new).await?;
    Ok(HttpResponse::Created().json(BusinessResponse::from(business)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct SearchQuery {
    /// Part of a handle or name; empty lists every business by handle.
    #[validate(length(max = 100, message = "at most 100 characters"))]
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 1 to 50, default 20.
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessList {
    pub businesses: Vec<BusinessResponse>,
}

/// Businesses whose handle or name contains `q`, by handle: any user may look.
#[utoipa::path(get, path = "/api/v1/businesses", tag = "business", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = BusinessList)))]
#[get("/businesses")]
pub async fn search_businesses(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: Query<SearchQuery>,
) -> Result<HttpResponse, Problem> {
    validated(&*query)?;
    let found = state
        .business
        .search
        .handle(
            query.q.as_deref().unwrap_or_default(),
            query.limit.unwrap_or(20),
        )
        .await?;
    Ok(HttpResponse::Ok().json(BusinessList {
        businesses: found.into_iter().map(BusinessResponse::from).collect(),
    }))
}

/// A business's public profile.
#[utoipa::path(get, path = "/api/v1/businesses/{id}", tag = "business", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BusinessResponse),
    (status = 404, description = "`business_not_found`")))]
#[get("/businesses/{id}")]
pub async fn get_business(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let business = state
        .business
        .profile
        .handle(BusinessId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(BusinessResponse::from(business)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBusinessBody {
    /// 1 to 100 characters on one line.
    #[schema(max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    pub show_agent_names: Option<bool>,
    /// An IANA time zone, as in `Europe/Paris`.
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
    /// Replaces the weekly schedule; `[]`: always open.
    #[schema(max_items = 28)]
    pub hours: Option<Vec<OpeningBody>>,
    /// Replaces the holidays: local dates, `YYYY-MM-DD`.
    #[schema(max_items = 100, inline)]
    pub holidays: Option<Vec<HolidayBody>>,
    #[schema(max_length = 1000)]
    pub closed_reply: Option<String>,
}

impl UpdateBusinessBody {
    fn into_change(self) -> Result<ProfileChange, AppError> {
        let hours = self
            .hours
            .map(|hours| {
                hours
                    .iter()
                    .map(|o| Opening::parse(&o.day, &o.opens, &o.closes))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|e| AppError::invalid("hours", e.to_string()))?;
        Ok(ProfileChange {
            name: self.name,
            description: self.description,
            show_agent_names: self.show_agent_names,
            time_zone: self.time_zone,
            hours,
            holidays: self
                .holidays
                .map(|days| days.into_iter().map(|d| d.0).collect()),
            closed_reply: self.closed_reply,
        })
    }
}

/// A local date, `YYYY-MM-DD`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = String, pattern = r"^\d{4}-\d{2}-\d{2}$", example = "2026-12-25")]
pub struct HolidayBody(pub String);

/// Changes the profile, hours and closed reply (owners). Outside its hours a business's new
/// cases wait, their customers told when it opens; they are routed when it does.
#[utoipa::path(patch, path = "/api/v1/businesses/{id}", tag = "business", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateBusinessBody,
    responses((status = 200, body = BusinessResponse), (status = 403, description = "`owner_only`"),
    (status = 404, description = "`business_not_found` (also when not on its staff)"),
    (status = 422, description = "Invalid fields")))]
#[patch("/businesses/{id}")]
pub async fn update_business(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<UpdateBusinessBody>,
) -> Result<HttpResponse, Problem> {
    let change = body.into_inner().into_change()?;
    let business = state
        .business
        .update
        .handle(user.id(), BusinessId::from_uuid(*id), change)
        .await?;
    Ok(HttpResponse::Ok().json(BusinessResponse::from(business)))
}
