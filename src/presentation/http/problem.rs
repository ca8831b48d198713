//! RFC 9457 problem details: the one shape of every error response.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::application::error::AppError;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error response (`application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank", "title": "Unprocessable Entity", "status": 422,
    "detail": "The request has invalid fields.", "code": "validation_failed",
    "errors": [{"field": "email", "message": "is not a valid email address"}]
}))]
pub struct Problem {
    /// Always `about:blank`: branch on `code`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The HTTP status phrase.
    pub title: String,
    pub status: u16,
    /// A human-readable explanation of this occurrence.
    pub detail: String,
    /// Stable snake_case code, e.g. `invalid_credentials`, `email_taken`.
    pub code: String,
    /// Per-field reasons, on validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
    #[serde(skip)]
    pub retry_after_secs: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: None,
            retry_after_secs: None,
        }
    }

    /// The problem a bare status stands for, for errors that carry nothing else.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "No such resource."),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "This method is not allowed here.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The request body is too large.")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "Send application/json.")
            }
            StatusCode::UNAUTHORIZED => ("unauthenticated", "Authentication is required."),
            s if s.is_server_error() => ("internal_error", "Something went wrong on our side."),
            _ => ("bad_request", "The request could not be understood."),
        };
        Self::new(status, code, detail)
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        let code = error.code();
        match error {
            AppError::Invalid(fields) => {
                let mut problem = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    "The request has invalid fields.",
                );
                problem.errors = Some(
                    fields
                        .into_inner()
                        .into_iter()
                        .map(|f| ProblemField {
                            field: f.field,
                            message: f.message,
                        })
                        .collect(),
                );
                problem
            }
            AppError::Unauthenticated(_) => {
                Problem::new(StatusCode::UNAUTHORIZED, code, unauthenticated_detail(code))
            }
            AppError::Forbidden(_) => {
                Problem::new(StatusCode::FORBIDDEN, code, "This is not allowed.")
            }
            AppError::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, code, "No such resource."),
            AppError::Conflict(_) => {
                Problem::new(StatusCode::CONFLICT, code, conflict_detail(code))
            }
            AppError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                let mut problem = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    code,
                    format!("Too many attempts; retry in {secs} s."),
                );
                problem.retry_after_secs = Some(secs);
                problem
            }
            AppError::TooMany(_) => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                code,
                "Too many at once: close one before opening another.",
            ),
            AppError::Unavailable(_) => {
                let mut problem = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code,
                    "The server cannot take this now; try again shortly.",
                );
                problem.retry_after_secs = Some(5);
                problem
            }
            AppError::TooLarge { limit_bytes } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                code,
                format!("The file is larger than the limit of {limit_bytes} bytes."),
            ),
            AppError::Unprocessable(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                unprocessable_detail(code),
            ),
            AppError::UnsupportedMediaType => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code,
                "The file's content is not of an accepted type (PNG, JPEG, GIF, WebP, PDF, MP4, MP3, Ogg).",
            ),
            AppError::Unexpected(cause) => {
                // Logged once here, inside the request span; the client learns nothing of it.
                tracing::error!(error = %format!("{cause:#}"), "unexpected error");
                Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

fn unauthenticated_detail(code: &str) -> &'static str {
    match code {
        "invalid_credentials" => "Wrong login or password.",
        "refresh_token_reused" => {
            "This refresh token was already used; the session has been revoked."
        }
        "invalid_refresh_token" => "The refresh token is invalid or expired.",
        "session_revoked" => "This session has ended; sign in again.",
        _ => "A valid bearer token is required.",
    }
}

fn conflict_detail(code: &str) -> &'static str {
    match code {
        "username_taken" => "This username is taken.",
        "email_taken" => "An account with this email exists.",
        _ => "The request conflicts with the current state.",
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

fn unprocessable_detail(code: &str) -> &'static str {
    match code {
        "image_too_large" => "The image has more pixels than the server accepts.",
        "infected_file" => "The virus scanner found malware in the file; it was not kept.",
        _ => "The request cannot be processed as it is.",
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(self)
    }
}

impl From<AppError> for actix_web::Error {
    fn from(error: AppError) -> Self {
        Problem::from(error).into()
    }
}
