//! Request extractors: the caller's identity, where the request came from, and the
//! path config that turns a malformed id into problem+json.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PathError;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};

use super::AppState;
use super::problem::Problem;
use crate::application::auth::ClientInfo;
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::domain::auth::Device;
use crate::domain::shared::UserId;

/// The authenticated caller, from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser(pub AccessClaims);

impl AuthUser {
    pub fn id(&self) -> UserId {
        self.0.user_id
    }
}

impl FromRequest for AuthUser {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR))?;
            let token = token.ok_or(AppError::Unauthenticated("missing_token"))?;
            Ok(AuthUser(state.auth.authenticate.handle(&token).await?))
        })
    }
}

pub(crate) fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// The user agent and client IP of a request. The IP comes from `X-Forwarded-For` only when
/// the server is configured to sit behind a trusted proxy, since anyone can send that header.
#[derive(Debug, Clone)]
pub struct ClientMeta {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl ClientMeta {
    pub fn into_client(self, device_name: Option<String>) -> ClientInfo {
        ClientInfo {
            device: Device {
                name: device_name,
                user_agent: self.user_agent,
                ip: self.ip,
            },
        }
    }
}

impl FromRequest for ClientMeta {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust_proxy = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.trust_forwarded_for);
        let forwarded = trust_proxy
            .then(|| {
                req.headers()
                    .get("x-forwarded-for")?
                    .to_str()
                    .ok()?
                    .rsplit(',')
                    .next()
                    .map(|ip| ip.trim().to_owned())
            })
            .flatten()
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        let ip = forwarded.or_else(|| req.peer_addr().map(|addr| addr.ip().to_string()));
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect());
        std::future::ready(Ok(ClientMeta { user_agent, ip }))
    }
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, req| {
        if let Some(response) = super::allow::wrong_method(req) {
            return actix_web::error::InternalError::from_response(error, response).into();
        }
        let detail = match &error {
            PathError::Deserialize(e) => format!("Invalid path parameter: {e}"),
            _ => "Invalid path parameter.".to_owned(),
        };
        Problem::new(StatusCode::BAD_REQUEST, "invalid_path", detail).into()
    })
}
