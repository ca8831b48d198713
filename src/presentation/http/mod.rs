//! The REST API: routes per context, problem+json errors, extractors, middleware, OpenAPI.

pub mod activity;
pub mod allow;
pub mod attachments;
pub mod auth;
pub mod business;
pub mod cases;
pub mod chat_list;
pub mod contacts;
pub mod conversations;
pub mod extract;
pub mod health;
pub mod input;
pub mod keys;
pub mod messages;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod participants;
pub mod passwords;
pub mod problem;
pub mod reactions;
pub mod receipts;
pub mod refresh_cookie;
pub mod search;
pub mod seq_cursor;
pub mod sessions;
pub mod settings;
pub mod staff;
pub mod users;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Next};
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use utoipa_swagger_ui::SwaggerUi;
use validator::Validate;

use crate::application::auth::AuthHandlers;
use crate::application::conversations::ConversationsHandlers;
use crate::application::error::FieldErrors;
use crate::application::messages::MessagesHandlers;
use crate::application::notifications::NotificationsHandlers;
use crate::application::ports::HealthCheck;
use crate::application::users::UsersHandlers;
use crate::telemetry::RequestId;
use problem::Problem;

/// What every route can reach.
pub struct AppState {
    pub attachments: crate::application::attachments::AttachmentsHandlers,
    pub auth: AuthHandlers,
    pub business: crate::application::business::BusinessHandlers,
    pub users: UsersHandlers,
    pub conversations: ConversationsHandlers,
    pub messages: MessagesHandlers,
    pub notifications: NotificationsHandlers,
    pub realtime: crate::presentation::ws::gateway::Realtime,
    pub clock: Arc<dyn crate::application::ports::Clock>,
    /// GraphQL operations spend their cost from it.
    pub graphql_cost: crate::application::limits::WriteLimit,
    pub health: Vec<Arc<dyn HealthCheck>>,
    pub trust_forwarded_for: bool,
}

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub json_limit_bytes: usize,
    pub cors_allowed_origins: Vec<String>,
    /// `/metrics` on this server; `None` when it has its own address.
    pub metrics: Option<web::Data<metrics::MetricsEndpoint>>,
    pub graphql: crate::config::GraphqlSettings,
}

/// Mounts every route and middleware on an app.
pub fn configure(
    state: web::Data<AppState>,
    options: &HttpOptions,
) -> impl FnOnce(&mut web::ServiceConfig) {
    let options = options.clone();
    move |cfg| {
        let graphql = crate::presentation::graphql::endpoint(state.clone(), &options.graphql);
        cfg.app_data(state)
            .app_data(graphql)
            .app_data(extract::path_config())
            .app_data(web::PayloadConfig::default().limit(options.json_limit_bytes))
            // Routes are tried in order, each pattern with a path parameter by a regex: the
            // API first, and in it what every client calls most (history, sends, the list).
            .service(
                web::scope("/api/v1")
                    .configure(messages::routes)
                    .configure(reactions::routes)
                    .configure(receipts::routes)
                    .configure(search::routes)
                    .configure(chat_list::routes)
                    .configure(conversations::routes)
                    .configure(participants::routes)
                    .configure(attachments::routes)
                    .configure(auth::routes)
                    .configure(sessions::routes)
                    .configure(passwords::routes)
                    .configure(users::routes)
                    .configure(keys::routes)
                    .configure(contacts::routes)
                    .configure(notifications::routes)
                    .configure(business::routes)
                    .configure(staff::routes)
                    .configure(cases::routes)
                    .service(crate::presentation::ws::gateway::connect),
            )
            .configure(crate::presentation::graphql::routes)
            .service(health::live)
            .service(health::ready)
            .configure(|cfg| {
                if let Some(endpoint) = options.metrics.clone() {
                    cfg.app_data(endpoint).service(metrics::render);
                }
            })
            .service(web::redirect("/docs", "/docs/"))
            .service(crate::presentation::ws::asyncapi::serve)
            .configure(crate::presentation::web::routes)
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .external_url_unchecked("/api-docs/openapi.json", openapi::document()),
            )
            .default_service(web::to(allow::unrouted));
    }
}

pub fn security_headers(configured: &crate::config::SecurityHeaders) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    for (name, value) in [
        (header::STRICT_TRANSPORT_SECURITY, &configured.hsts),
        (header::X_FRAME_OPTIONS, &configured.frame_options),
        (header::REFERRER_POLICY, &configured.referrer_policy),
        (
            header::CONTENT_SECURITY_POLICY,
            &configured.content_security_policy,
        ),
    ] {
        if !value.is_empty() {
            headers = headers.add((name, value.as_str()));
        }
    }
    headers
}

pub fn cors(origins: &[String]) -> actix_cors::Cors {
    let cors = actix_cors::Cors::default()
        .allow_any_method()
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("x-request-id"),
            refresh_cookie::HEADER,
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors.allow_any_origin()
    } else {
        origins
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin))
    }
}

/// Rewrites any error response that is not problem+json yet (actix's own 404/405, a
/// middleware's refusal) into one, so that clients only ever parse one error shape.
pub fn error_safety_net<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|response: ServiceResponse<B>| {
        let is_problem = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| {
                value
                    .as_bytes()
                    .starts_with(problem::CONTENT_TYPE.as_bytes())
            });
        if is_problem
            || !(response.status().is_client_error() || response.status().is_server_error())
        {
            return Ok(ErrorHandlerResponse::Response(
                response.map_into_left_body(),
            ));
        }
        let problem = Problem::for_status(response.status()).error_response();
        let (request, original) = response.into_parts();
        let mut rewritten = problem.map_into_boxed_body();
        for (name, value) in original.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                rewritten.headers_mut().insert(name.clone(), value.clone());
            }
        }
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(request, rewritten).map_into_right_body(),
        ))
    })
}

/// Sends the request id back as `X-Request-Id`.
pub async fn echo_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().cloned();
    let mut response = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.0).ok()) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`) in PATCH bodies.
pub(crate) fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// Adds `validator`'s findings to `errors`, one entry per failed rule.
pub fn check(body: &impl Validate, errors: &mut FieldErrors) {
    if let Err(found) = body.validate() {
        for (field, failures) in found.field_errors() {
            for failure in failures {
                let message = failure
                    .message
                    .as_deref()
                    .map_or_else(|| failure.code.to_string(), str::to_owned);
                errors.add(&field, message);
            }
        }
    }
}

/// 201 for what the call created, 200 for what existed already (an idempotent create).
pub(crate) fn created_or_ok(created: bool, body: impl serde::Serialize) -> HttpResponse {
    if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// A `cursor` parameter as `decode` reads it; one it cannot read is noted in `errors`.
pub(crate) fn cursor<T>(
    raw: Option<&str>,
    decode: impl FnOnce(&str) -> Option<T>,
    errors: &mut FieldErrors,
) -> Option<T> {
    let decoded = raw.and_then(decode);
    if raw.is_some() && decoded.is_none() {
        errors.add("cursor", "is not a cursor from this API");
    }
    decoded
}

/// `validator`'s findings on a query or body as one 422 naming every failed field.
pub(crate) fn validated(input: &impl Validate) -> Result<(), crate::application::error::AppError> {
    let mut errors = FieldErrors::default();
    check(input, &mut errors);
    errors.into_result()
}
