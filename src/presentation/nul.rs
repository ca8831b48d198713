//! NUL characters are refused wherever user text enters (JSON bodies, query strings, socket
//! frames): PostgreSQL's text cannot hold them and SQLite's can, so without this the same
//! request would be a 500 on one backend and stored on the other. The answer names the field.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use serde_json::Value;

use crate::application::error::AppError;

pub const NUL_REFUSED: &str = "must not contain NUL characters";

/// The first field of `value` whose name or text holds a NUL, as a path (`a.b`, `ids[2]`).
pub fn nul_field(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if text.contains('\0') => Some(String::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_field(item).map(|rest| format!("[{i}]{}", dotted(&rest)))),
        Value::Object(fields) => fields.iter().find_map(|(name, item)| {
            if name.contains('\0') {
                return Some(name.replace('\0', "\\u0000"));
            }
            nul_field(item).map(|rest| format!("{name}{}", dotted(&rest)))
        }),
        _ => None,
    }
}

fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        rest.to_owned()
    } else {
        format!(".{rest}")
    }
}

/// The first query parameter whose name or value holds a NUL.
fn nul_parameter(query: &str) -> Option<String> {
    if !query.contains("%00") {
        return None;
    }
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query).ok()?;
    pairs
        .0
        .into_iter()
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', "\\u0000"))
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

/// Refuses a request whose query or JSON body carries a NUL (422, naming the field) before
/// any handler sees it. A JSON body is read here and handed on unchanged; one over
/// `json_limit` is left to the JSON extractor to refuse.
pub async fn refuse_nul(
    json_limit: usize,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(name) = nul_parameter(req.query_string()) {
        return Err(AppError::invalid(&name, NUL_REFUSED).into());
    }
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if is_json(&req) && declared.is_some_and(|length| length <= json_limit) {
        let body = req.extract::<Bytes>().await?;
        // A NUL can only be written `\u0000` in valid JSON: look closer only then.
        if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
            && let Ok(value) = serde_json::from_slice::<Value>(&body)
            && let Some(field) = nul_field(&value)
        {
            return Err(AppError::invalid(&field, NUL_REFUSED).into());
        }
        req.set_payload(Payload::from(body));
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_field_that_holds_a_nul() {
        assert_eq!(
            nul_field(&json!({"content": "a\u{0}b"})).as_deref(),
            Some("content")
        );
        assert_eq!(
            nul_field(&json!({"a": {"b": ["x", "\u{0}"]}})).as_deref(),
            Some("a.b[1]")
        );
        assert_eq!(nul_field(&json!({"ok": "fine", "n": 1})), None);
    }

    #[test]
    fn names_the_query_parameter_that_holds_a_nul() {
        assert_eq!(nul_parameter("q=a%00b&limit=5").as_deref(), Some("q"));
        assert_eq!(nul_parameter("q=ab&limit=5"), None);
    }
}
