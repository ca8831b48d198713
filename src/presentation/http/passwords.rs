//! `/api/v1/auth/password…`: change a password, and reset a forgotten one by email.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::extract::{AuthUser, ClientMeta};
use super::input::Json;
use super::problem::Problem;
use super::{AppState, check};
use crate::application::auth::commands::{ChangePassword, ForgotPassword, ResetPassword};
use crate::application::error::{AppError, FieldErrors};
use crate::domain::auth::{OpaqueToken, Password};
use crate::domain::users::Email;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(change_password)
        .service(forgot_password)
        .service(reset_password);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    #[validate(length(min = 1, max = 1024, message = "must be 1 to 1024 characters long"))]
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// 8 to 128 characters, at least 4 different ones, not a common password.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordBody {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordBody {
    /// The token from the reset mail.
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters long"))]
    #[schema(min_length = 1, max_length = 256)]
    pub token: String,
    /// 8 to 128 characters, at least 4 different ones, not a common password.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

impl ChangePasswordBody {
    pub(crate) fn into_command(self) -> Result<ChangePassword, AppError> {
        let mut errors = FieldErrors::default();
        check(&self, &mut errors);
        let new_password = errors.check("new_password", Password::parse(self.new_password));
        let (Some(new_password), true) = (new_password, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        Ok(ChangePassword {
            current_password: self.current_password,
            new_password,
        })
    }
}

impl ForgotPasswordBody {
    pub(crate) fn into_command(self, meta: ClientMeta) -> Result<ForgotPassword, AppError> {
        let email =
            Email::parse(&self.email).map_err(|e| AppError::invalid("email", e.to_string()))?;
        Ok(ForgotPassword {
            email,
            client: meta.into_client(None),
        })
    }
}

impl ResetPasswordBody {
    pub(crate) fn into_command(self, meta: ClientMeta) -> Result<ResetPassword, AppError> {
        let mut errors = FieldErrors::default();
        check(&self, &mut errors);
        let new_password = errors.check("new_password", Password::parse(self.new_password));
        let (Some(new_password), true) = (new_password, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        Ok(ResetPassword {
            token: OpaqueToken::presented(&self.token),
            new_password,
            client: meta.into_client(None),
        })
    }
}

/// Change the password; signs out every other device.
#[utoipa::path( post, path = "/api/v1/auth/password/change", tag = "auth",
    security(("bearer" = [])), request_body = ChangePasswordBody,
    responses( (status = 204, description = "Changed"),
    (status = 403, description = "`invalid_password`: the current password is wrong"),
    (status = 422, description = "Invalid fields (e.g. a weak new password)"),
    (status = 429, description = "Too many attempts"),))]
#[post("/auth/password/change")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: Json<ChangePasswordBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command()?;
    state
        .auth
        .change_password
        .handle(user.0, command, meta.into_client(None))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password reset mail. Always 202, whether or not the address has an account.
#[utoipa::path( post, path = "/api/v1/auth/password/forgot", tag = "auth",
    request_body = ForgotPasswordBody,
    responses( (status = 202, description = "If an account has this address, a reset token is on its way"),
    (status = 422, description = "Not an email address"),
    (status = 429, description = "Too many requests"),))]
#[post("/auth/password/forgot")]
pub async fn forgot_password(
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: Json<ForgotPasswordBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command(meta)?;
    state.auth.forgot_password.handle(command).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with a mailed reset token; signs out every device.
#[utoipa::path( post, path = "/api/v1/auth/password/reset", tag = "auth",
    request_body = ResetPasswordBody,
    responses( (status = 204, description = "Password replaced"),
    (status = 422, description = "Invalid, expired or used token, or a weak password"),
    (status = 429, description = "Too many resets from this address; see Retry-After"),
    (status = 503, description = "Password hashing is saturated; see Retry-After"),))]
#[post("/auth/password/reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: Json<ResetPasswordBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command(meta)?;
    state.auth.reset_password.handle(command).await?;
    Ok(HttpResponse::NoContent().finish())
}
