//! `GET /api/v1/messages/search`: full-text search over the caller's conversations.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::Query;
use super::messages::MessageResponse;
use super::problem::Problem;
use super::{AppState, validated};
use crate::application::error::AppError;
use crate::application::messages::{MessageView, SearchMessages};
use crate::domain::shared::ConversationId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(search_messages);
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct SearchQuery {
    /// Words to find (all must match).
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters long"))]
    #[param(min_length = 1, max_length = 200, pattern = r"\S")]
    pub q: String,
    /// Only this conversation.
    pub conversation_id: Option<Uuid>,
    /// 1 to 100, default 20.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl SearchQuery {
    fn into_search(self) -> Result<SearchMessages, AppError> {
        validated(&self)?;
        if self.q.trim().is_empty() {
            return Err(AppError::invalid("q", "must not be blank"));
        }
        Ok(SearchMessages {
            query: self.q,
            conversation_id: self.conversation_id.map(ConversationId::from_uuid),
            limit: self.limit.unwrap_or(20),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Best match first.
    #[schema(value_type = Vec<MessageResponse>)]
    pub results: Vec<MessageView>,
}

/// Full-text search over the caller's conversations.
#[utoipa::path(get, path = "/api/v1/messages/search", tag = "messages", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = SearchResponse),
    (status = 404, description = "`conversation_not_found` for a `conversation_id` the caller is not in"),
    (status = 422, description = "Bad query")))]
#[get("/messages/search")]
pub async fn search_messages(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<SearchQuery>,
) -> Result<HttpResponse, Problem> {
    let search = query.into_inner().into_search()?;
    let results = state.messages.search.handle(user.id(), search).await?;
    Ok(HttpResponse::Ok().json(SearchResponse { results }))
}
