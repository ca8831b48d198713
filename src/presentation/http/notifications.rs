//! `/api/v1/notifications` (the inbox) and `/api/v1/devices` (push tokens).

use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::{Json, Query};
use super::problem::Problem;
use super::{AppState, created_or_ok, validated};
use crate::application::error::{AppError, FieldErrors};
use crate::application::notifications::{InboxPage, MarkRead, NotificationView, RegisterDevice};
use crate::domain::notifications::{Device, DeviceId, NotificationId, Platform, PushToken};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_notifications)
        .service(mark_notifications_read)
        .service(list_devices)
        .service(register_device)
        .service(remove_device);
}

/// The wire form of a notification, for the document; `NotificationView` serialises it.
#[derive(ToSchema)]
pub struct NotificationResponse {
    pub id: Uuid,
    /// `mention`, `message`, `contact_request`, `contact_accepted` or `added_to_conversation`.
    pub kind: String,
    /// Who caused it: the sender, the requester, the one who added you.
    pub actor_id: Uuid,
    pub conversation_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
    pub read: bool,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct InboxQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
    /// 1 to 100, default 50.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxResponse {
    /// Newest first.
    #[schema(value_type = Vec<NotificationResponse>)]
    pub notifications: Vec<NotificationView>,
    /// All unread notifications, not only this page's.
    pub unread_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Uuid>,
}

impl From<InboxPage> for InboxResponse {
    fn from(page: InboxPage) -> Self {
        Self {
            notifications: page
                .notifications
                .iter()
                .map(NotificationView::from)
                .collect(),
            unread_count: page.unread_count,
            next_cursor: page.next_cursor.map(|id| id.as_uuid()),
        }
    }
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = InboxResponse),
    (status = 400, description = "A parameter of the wrong type"),
    (status = 422, description = "Bad limit")))]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<InboxQuery>,
) -> Result<HttpResponse, Problem> {
    validated(&*query)?;
    let (unread, limit) = (query.unread.unwrap_or(false), query.limit.unwrap_or(50));
    let before = query.cursor.map(NotificationId::from_uuid);
    let page = state
        .notifications
        .inbox
        .handle(user.id(), unread, before, limit)
        .await?;
    Ok(HttpResponse::Ok().json(InboxResponse::from(page)))
}

/// Either `ids` or `"all": true`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"ids": ["01935f5e-8b5c-7cc4-9d1e-6e1f2a3b4c5d"]}))]
#[serde(deny_unknown_fields)]
pub struct MarkReadBody {
    pub ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub all: bool,
}

impl MarkReadBody {
    pub(crate) fn into_command(self) -> Result<MarkRead, AppError> {
        match (self.ids, self.all) {
            (None, true) => Ok(MarkRead::All),
            (Some(ids), false) if ids.len() <= 100 => Ok(MarkRead::Ids(
                ids.into_iter().map(NotificationId::from_uuid).collect(),
            )),
            (Some(_), false) => Err(AppError::invalid("ids", "at most 100 at once")),
            (Some(_), true) => Err(AppError::invalid("all", "give either ids or all, not both")),
            (None, false) => Err(AppError::invalid("ids", "give ids, or all: true")),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkReadResponse {
    /// How many changed from unread to read.
    pub updated: u64,
    pub unread_count: u64,
}

/// Marks notifications read: the given ids (others' ids are ignored), or all of them.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    security(("bearer" = [])), request_body = MarkReadBody,
    responses((status = 200, body = MarkReadResponse),
    (status = 400, description = "Malformed JSON"),
    (status = 422, description = "Neither or both of ids and all, or a field of the wrong type")))]
#[post("/notifications/read")]
pub async fn mark_notifications_read(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<MarkReadBody>,
) -> Result<HttpResponse, Problem> {
    let which = body.into_inner().into_command()?;
    let (updated, unread_count) = state
        .notifications
        .mark_read
        .handle(user.id(), which)
        .await?;
    Ok(HttpResponse::Ok().json(MarkReadResponse {
        updated,
        unread_count,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"platform": "android", "token": "fcm-registration-token"}))]
#[serde(deny_unknown_fields)]
pub struct RegisterDeviceBody {
    /// `ios`, `android` or `web`.
    #[schema(pattern = "^(ios|android|web)$")]
    pub platform: String,
    /// The push service's token for this install: 1 to 4096 printable ASCII characters.
    #[schema(pattern = r"^\s*[!-~]{1,4096}\s*$")]
    pub token: String,
}

impl RegisterDeviceBody {
    pub(crate) fn into_command(self) -> Result<RegisterDevice, AppError> {
        let mut errors = FieldErrors::default();
        let platform = errors.check("platform", Platform::parse(&self.platform));
        let token = errors.check("token", PushToken::parse(&self.token));
        let (Some(platform), Some(token)) = (platform, token) else {
            return Err(AppError::Invalid(errors));
        };
        Ok(RegisterDevice { platform, token })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceResponse {
    pub id: Uuid,
    pub platform: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Device> for DeviceResponse {
    fn from(d: Device) -> Self {
        Self {
            id: d.id.as_uuid(),
            platform: d.platform.as_str().to_owned(),
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceListResponse {
    pub devices: Vec<DeviceResponse>,
}

/// Registers a push token for the caller: 201 when new, 200 when it was registered already.
/// A token registered by another account moves to the caller.
#[utoipa::path(post, path = "/api/v1/devices", tag = "notifications", security(("bearer" = [])),
    request_body = RegisterDeviceBody,
    responses((status = 201, description = "Registered", body = DeviceResponse),
    (status = 200, description = "Registered already", body = DeviceResponse),
    (status = 400, description = "Malformed JSON"),
    (status = 422, description = "Bad platform or token, or a field of the wrong type")))]
#[post("/devices")]
pub async fn register_device(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<RegisterDeviceBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command()?;
    let (device, new) = state
        .notifications
        .register_device
        .handle(user.id(), command)
        .await?;
    Ok(created_or_ok(new, DeviceResponse::from(device)))
}

/// The caller's registered devices.
#[utoipa::path(get, path = "/api/v1/devices", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = DeviceListResponse),))]
#[get("/devices")]
pub async fn list_devices(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let devices = state.notifications.devices.handle(user.id()).await?;
    Ok(HttpResponse::Ok().json(DeviceListResponse {
        devices: devices.into_iter().map(DeviceResponse::from).collect(),
    }))
}

/// Unregisters one of the caller's devices: it gets no more pushes.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "notifications",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"),
    (status = 404, description = "`device_not_found` (also another user's)")))]
#[delete("/devices/{id}")]
pub async fn remove_device(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .notifications
        .remove_device
        .handle(user.id(), DeviceId::from_uuid(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
