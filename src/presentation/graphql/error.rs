//! Application errors as GraphQL errors, with REST's codes: `extensions.code` is what
//! problem+json calls `code`, `extensions.status` the HTTP status REST would answer, and a
//! validation error names its fields in `extensions.fields`.

use async_graphql::{Error, ErrorExtensions, Value};

use crate::application::error::AppError;
use crate::presentation::http::problem::Problem;

impl From<AppError> for Error {
    fn from(error: AppError) -> Self {
        // The same mapping as REST, so the codes cannot drift apart.
        let problem = Problem::from(error);
        Error::new(problem.detail.clone()).extend_with(|_, extensions| {
            extensions.set("code", problem.code.clone());
            extensions.set("status", problem.status);
            if let Some(fields) = &problem.errors {
                let fields = fields
                    .iter()
                    .map(|f| {
                        Value::from_json(serde_json::json!({
                            "field": camel_case(&f.field), "message": f.message,
                        }))
                        .unwrap_or(Value::Null)
                    })
                    .collect::<Vec<_>>();
                extensions.set("fields", Value::List(fields));
            }
            if let Some(secs) = problem.retry_after_secs {
                extensions.set("retryAfter", secs);
            }
        })
    }
}

/// GraphQL names its fields in camelCase; the application names them as REST does.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extension(error: &Error, key: &str) -> Option<serde_json::Value> {
        let extensions = serde_json::to_value(error.extensions.as_ref()?).ok()?;
        extensions.get(key).cloned()
    }

    #[test]
    fn codes_and_fields_are_rests() {
        let error = Error::from(AppError::invalid("content", "must not be blank"));
        assert_eq!(
            extension(&error, "code"),
            Some(serde_json::json!("validation_failed"))
        );
        assert_eq!(extension(&error, "status"), Some(serde_json::json!(422)));
        assert_eq!(
            extension(&error, "fields"),
            Some(serde_json::json!([{"field": "content", "message": "must not be blank"}]))
        );
        let error = Error::from(AppError::invalid("client_message_id", "is too long"));
        assert_eq!(
            extension(&error, "fields"),
            Some(serde_json::json!([{"field": "clientMessageId", "message": "is too long"}]))
        );
        let error = Error::from(AppError::NotFound("conversation_not_found"));
        assert_eq!(
            extension(&error, "code"),
            Some(serde_json::json!("conversation_not_found"))
        );
    }

    #[test]
    fn an_unexpected_error_says_nothing_of_its_cause() {
        let error = Error::from(AppError::Unexpected(anyhow::anyhow!("password=hunter2")));
        assert!(!error.message.contains("hunter2"));
        assert_eq!(
            extension(&error, "code"),
            Some(serde_json::json!("internal_error"))
        );
    }
}
