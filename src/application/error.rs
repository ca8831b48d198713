use std::time::Duration;

use crate::domain::shared::RepoError;

/// One rejected field of a request, as `{field, message}` in a 422.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Collects every bad field of a request so one answer names them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value, or records why `field` was refused.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        result
            .map_err(|error| self.add(field, error.to_string()))
            .ok()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_inner(self) -> Vec<FieldError> {
        self.0
    }

    /// `Err(AppError::Invalid)` if anything was recorded.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

/// Every way a use case can fail, each with a stable snake_case `code` that REST and WebSocket
/// clients can branch on.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("authentication required")]
    Unauthenticated(&'static str),
    #[error("not allowed")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound(&'static str),
    #[error("conflict")]
    Conflict(&'static str),
    /// `limit_bytes`: the most accepted.
    #[error("too large")]
    TooLarge { limit_bytes: u64 },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Well-formed but refused as it is (e.g. an image of too many pixels): 422 with this code.
    #[error("unprocessable")]
    Unprocessable(&'static str),
    #[error("too many requests")]
    RateLimited { retry_after: Duration },
    /// A cap on what one caller may hold at once (e.g. sockets): 429 with this code.
    #[error("too many")]
    TooMany(&'static str),
    /// The server is at capacity: 503 with this code.
    #[error("unavailable")]
    Unavailable(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "validation_failed",
            Self::Unauthenticated(code)
            | Self::Forbidden(code)
            | Self::NotFound(code)
            | Self::Conflict(code)
            | Self::TooMany(code)
            | Self::Unprocessable(code)
            | Self::Unavailable(code) => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::TooLarge { .. } => "too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unexpected(_) => "internal_error",
        }
    }

    /// A single-field validation failure.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        Self::Invalid(errors)
    }
}

impl From<crate::application::ports::HashError> for AppError {
    fn from(error: crate::application::ports::HashError) -> Self {
        match error {
            crate::application::ports::HashError::Busy => Self::Unavailable("busy"),
            crate::application::ports::HashError::Failed(cause) => Self::Unexpected(cause),
        }
    }
}

impl From<crate::application::ports::Refusal> for AppError {
    fn from(refusal: crate::application::ports::Refusal) -> Self {
        match refusal {
            crate::application::ports::Refusal::Limited(retry_after) => {
                Self::RateLimited { retry_after }
            }
            crate::application::ports::Refusal::Unavailable => {
                Self::Unavailable("rate_limiter_unavailable")
            }
        }
    }
}

impl From<RepoError> for AppError {
    fn from(error: RepoError) -> Self {
        match error {
            // Handlers that expect a duplicate map it themselves; reaching here is a bug.
            RepoError::Duplicate(field) => {
                Self::Unexpected(anyhow::anyhow!("unhandled duplicate {field}"))
            }
            RepoError::Gone(what) => Self::Unexpected(anyhow::anyhow!("unhandled missing {what}")),
            RepoError::Unexpected(cause) => Self::Unexpected(cause),
        }
    }
}
