//! `/api/v1/auth`: register, sign in, refresh and sign out.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::extract::{AuthUser, ClientMeta};
use super::input::Json;
use super::problem::Problem;
use super::refresh_cookie;
use super::{AppState, check};
use crate::application::auth::AuthGrant;
use crate::application::auth::commands::{LogIn, Refresh, Register};
use crate::application::error::{AppError, FieldErrors};
use crate::domain::auth::{OpaqueToken, Password};
use crate::domain::users::{DisplayName, Email, User, Username};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"email": "alice@example.com", "username": "alice", "password": "correct horse battery", "display_name": "Alice", "device_name": "Alice's phone"}))]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 3 to 32 of `a-z`, `0-9`, `_` (case-insensitive).
    #[schema(pattern = r"^\s*[A-Za-z0-9_]{3,32}\s*$")]
    pub username: String,
    /// 8 to 128 characters, at least 4 different ones, not a common password.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// 1 to 64 characters once trimmed, no control characters.
    #[schema(min_length = 1, max_length = 64)]
    pub display_name: String,
    #[validate(length(max = 64, message = "must be at most 64 characters long"))]
    #[schema(max_length = 64)]
    pub device_name: Option<String>,
}

impl RegisterBody {
    pub(crate) fn into_command(self, meta: ClientMeta) -> Result<Register, AppError> {
        let mut errors = FieldErrors::default();
        check(&self, &mut errors);
        let email = errors.check("email", Email::parse(&self.email));
        let username = errors.check("username", Username::parse(&self.username));
        let password = errors.check("password", Password::parse(self.password));
        let display_name = errors.check("display_name", DisplayName::parse(&self.display_name));
        let (Some(email), Some(username), Some(password), Some(display_name), true) =
            (email, username, password, display_name, errors.is_empty())
        else {
            return Err(AppError::Invalid(errors));
        };
        Ok(Register {
            username,
            email,
            password,
            display_name,
            client: meta.into_client(self.device_name),
        })
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"login": "alice", "password": "correct horse battery", "device_name": "Alice's laptop"}))]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Email or username (`email` and `username` are accepted as names of this field too).
    #[serde(alias = "email", alias = "username")]
    #[validate(length(min = 1, max = 254, message = "must be 1 to 254 characters long"))]
    #[schema(min_length = 1, max_length = 254)]
    pub login: String,
    #[validate(length(min = 1, max = 1024, message = "must be 1 to 1024 characters long"))]
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
    #[validate(length(max = 64, message = "must be at most 64 characters long"))]
    #[schema(max_length = 64)]
    pub device_name: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The token to spend. Leave it out (send `{}`) when the request sends
    /// `X-Refresh-Token-Delivery: cookie` with the `chat_refresh` cookie; with neither, 401.
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters long"))]
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: Option<String>,
}

/// A user as its owner sees it.
impl LoginBody {
    pub(crate) fn into_command(self, meta: ClientMeta) -> Result<LogIn, AppError> {
        only_validator(&self)?;
        Ok(LogIn {
            login: self.login,
            password: self.password,
            client: meta.into_client(self.device_name),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub display_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&User> for UserResponse {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.as_uuid(),
            username: user.username.as_str().to_owned(),
            email: user.email.as_str().to_owned(),
            display_name: user.display_name.as_str().to_owned(),
            created_at: user.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokensResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Opaque; single use: each refresh returns a new one. Left out when the request sent
    /// `X-Refresh-Token-Delivery: cookie`: it is then in the HttpOnly `chat_refresh` cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub refresh_expires_at: OffsetDateTime,
    pub session_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: UserResponse,
    pub tokens: TokensResponse,
}

/// The tokens as the client asked for them: all in the body, or the refresh token in the
/// HttpOnly cookie (see `refresh_cookie`).
fn granted(req: &HttpRequest, mut response: HttpResponseBuilder, grant: AuthGrant) -> HttpResponse {
    let mut body = AuthResponse::from(grant);
    if refresh_cookie::wanted(req)
        && let Some(token) = body.tokens.refresh_token.take()
    {
        let cookie = refresh_cookie::set(req, &token, body.tokens.refresh_expires_at);
        response.insert_header((header::SET_COOKIE, cookie));
    }
    response.json(body)
}

impl From<AuthGrant> for AuthResponse {
    fn from(grant: AuthGrant) -> Self {
        let expires_in = (grant.access.expires_at - OffsetDateTime::now_utc())
            .whole_seconds()
            .max(0);
        Self {
            user: UserResponse::from(&grant.user),
            tokens: TokensResponse {
                access_token: grant.access.token,
                token_type: "Bearer",
                expires_in,
                expires_at: grant.access.expires_at,
                refresh_token: Some(grant.refresh_token.expose().to_owned()),
                refresh_expires_at: grant.refresh_expires_at,
                session_id: grant.session_id.as_uuid(),
            },
        }
    }
}

pub(crate) fn only_validator(body: &impl Validate) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    check(body, &mut errors);
    errors.into_result()
}

/// Create an account and sign in.
#[utoipa::path( post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody,
    params(("X-Refresh-Token-Delivery" = Option<String>, Header, description = "`cookie`: the refresh token goes in the HttpOnly `chat_refresh` cookie (browsers), not the body")),
    responses( (status = 201, description = "Registered and signed in", body = AuthResponse),
    (status = 400, description = "Malformed JSON"),
    (status = 409, description = "`username_taken` or `email_taken`"),
    (status = 413, description = "Body too large"), (status = 415, description = "Not JSON"),
    (status = 422, description = "Invalid fields"),
    (status = 429, description = "Too many registrations from this IP"),))]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: Json<RegisterBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command(meta)?;
    let grant = state.auth.register.handle(command).await?;
    Ok(granted(&req, HttpResponse::Created(), grant))
}

/// Sign in with email or username and password; opens a session for this device.
#[utoipa::path( post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    params(("X-Refresh-Token-Delivery" = Option<String>, Header, description = "`cookie`: the refresh token goes in the HttpOnly `chat_refresh` cookie (browsers), not the body")),
    responses( (status = 200, description = "Signed in", body = AuthResponse),
    (status = 401, description = "`invalid_credentials`"),
    (status = 422, description = "Invalid fields"),
    (status = 429, description = "Too many failed attempts for this account from this client network, or too many attempts from this IP; see `Retry-After`"),))]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: Json<LoginBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command(meta)?;
    let grant = state.auth.login.handle(command).await?;
    Ok(granted(&req, HttpResponse::Ok(), grant))
}

/// Exchange a refresh token for new tokens. The old refresh token is spent; presenting it
/// again revokes the session.
#[utoipa::path( post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshBody,
    params(("X-Refresh-Token-Delivery" = Option<String>, Header, description = "`cookie`: read the refresh token from the `chat_refresh` cookie, and set the new one there")),
    responses( (status = 200, description = "New access and refresh tokens", body = AuthResponse),
    (status = 401, description = "`invalid_refresh_token` (also when none was presented) or `refresh_token_reused`"),
    (status = 422, description = "Invalid fields"),))]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<RefreshBody>,
) -> Result<HttpResponse, Problem> {
    only_validator(&*body)?;
    let Some(token) = body
        .into_inner()
        .refresh_token
        .or_else(|| refresh_cookie::presented(&req))
    else {
        // Nothing presented (or a cookie without the header that allows reading it).
        return Err(AppError::Unauthenticated("invalid_refresh_token").into());
    };
    let command = Refresh {
        refresh_token: OpaqueToken::presented(&token),
    };
    match state.auth.refresh.handle(command).await {
        Ok(grant) => Ok(granted(&req, HttpResponse::Ok(), grant)),
        // A spent or unknown cookie is of no further use: the browser drops it.
        Err(error) if refresh_cookie::wanted(&req) => {
            let mut response = Problem::from(error).error_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, refresh_cookie::clear(&req));
            Ok(response)
        }
        Err(error) => Err(error.into()),
    }
}

/// Sign out this device.
#[utoipa::path( post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    params(("X-Refresh-Token-Delivery" = Option<String>, Header, description = "`cookie`: also remove the `chat_refresh` cookie")),
    responses( (status = 204, description = "Signed out"),))]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
) -> Result<HttpResponse, Problem> {
    state
        .auth
        .logout
        .handle(user.0, meta.into_client(None))
        .await?;
    let mut response = HttpResponse::NoContent();
    if refresh_cookie::wanted(&req) {
        response.insert_header((header::SET_COOKIE, refresh_cookie::clear(&req)));
    }
    Ok(response.finish())
}
