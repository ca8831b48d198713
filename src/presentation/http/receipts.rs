//! Read and delivered markers, and who has read or received a message.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::extract::AuthUser;
use super::input::{Json, MessagePath};
use super::problem::Problem;
use crate::application::messages::{Marker, ReceiptsView};
use crate::domain::shared::ConversationId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(receipts)
        .service(mark_read)
        .service(mark_delivered);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptResponse {
    pub user_id: Uuid,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptsResponse {
    pub message_id: Uuid,
    pub seq: i64,
    pub receipts: Vec<ReceiptResponse>,
}

impl From<ReceiptsView> for ReceiptsResponse {
    fn from(view: ReceiptsView) -> Self {
        let each = view.receipts.into_iter().map(|r| ReceiptResponse {
            user_id: r.user_id.as_uuid(),
            delivered_at: r.delivered_at,
            read_at: r.read_at,
        });
        Self {
            message_id: view.message_id.as_uuid(),
            seq: view.message_seq,
            receipts: each.collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkerBody {
    /// At least 1 and at most the conversation's last seq.
    #[schema(minimum = 1)]
    pub seq: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadResponse {
    /// The marker after the call; it never moves back.
    pub read_seq: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveredResponse {
    pub delivered_seq: i64,
}

/// Who has the message delivered, and who has read it (the sender is not listed).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages/{message_id}/receipts",
    tag = "messages", security(("bearer" = [])), params(("id" = Uuid, Path),
    ("message_id" = Uuid, Path)),
    responses((status = 200, body = ReceiptsResponse),
    (status = 404, description = "`conversation_not_found` or `message_not_found`")))]
#[get("/conversations/{id}/messages/{message_id}/receipts")]
pub async fn receipts(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<MessagePath>,
) -> Result<HttpResponse, Problem> {
    let (id, message_id) = path.ids();
    let view = state
        .messages
        .receipts
        .handle(user.id(), id, message_id)
        .await?;
    Ok(HttpResponse::Ok().json(ReceiptsResponse::from(view)))
}

/// Move the caller's read marker forward to `seq` (it never moves back).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = MarkerBody,
    responses((status = 200, body = ReadResponse),
    (status = 404, description = "`conversation_not_found`"),
    (status = 422, description = "`seq` outside 1..=last_seq")))]
#[post("/conversations/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<MarkerBody>,
) -> Result<HttpResponse, Problem> {
    let read_seq = state
        .messages
        .move_marker
        .handle(
            user.id(),
            ConversationId::from_uuid(*id),
            Marker::Read,
            body.seq,
        )
        .await?;
    Ok(HttpResponse::Ok().json(ReadResponse { read_seq }))
}

/// Move the caller's delivered marker forward to `seq` (for clients that fetch over REST).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/delivered", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = MarkerBody,
    responses((status = 200, body = DeliveredResponse),
    (status = 404, description = "`conversation_not_found`"),
    (status = 422, description = "`seq` outside 1..=last_seq")))]
#[post("/conversations/{id}/delivered")]
pub async fn mark_delivered(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<MarkerBody>,
) -> Result<HttpResponse, Problem> {
    let delivered_seq = state
        .messages
        .move_marker
        .handle(
            user.id(),
            ConversationId::from_uuid(*id),
            Marker::Delivered,
            body.seq,
        )
        .await?;
    Ok(HttpResponse::Ok().json(DeliveredResponse { delivered_seq }))
}
