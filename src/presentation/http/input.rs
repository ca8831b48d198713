//! JSON bodies and query strings, read into request types with one rule for what goes wrong:
//! a body that is not JSON at all is 400 `malformed_body`; anything well-formed that does not
//! fit (a wrong type, a missing or unknown field, a bad query parameter) is 422 naming the field.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, mime, web};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use super::problem::{Problem, ProblemField};
use crate::domain::shared::{ConversationId, MessageId};

/// The path `/conversations/{id}/messages/{message_id}…`, as `web::Path<MessagePath>`.
#[derive(Debug, Deserialize)]
pub struct MessagePath {
    id: uuid::Uuid,
    message_id: uuid::Uuid,
}

impl MessagePath {
    pub fn ids(&self) -> (ConversationId, MessageId) {
        (
            ConversationId::from_uuid(self.id),
            MessageId::from_uuid(self.message_id),
        )
    }
}

/// A JSON request body (`application/json` or any `+json` type).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json =
            req.mime_type().ok().flatten().is_some_and(|mime| {
                mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON)
            });
        // The body limit is the `PayloadConfig`'s: over it, 413 before anything is parsed.
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the body as application/json.",
                ));
            }
            let body = body
                .await
                .map_err(|error| Problem::for_status(error.as_response_error().status_code()))?;
            decode_json(&body).map(Json).map_err(|problem| *problem)
        })
    }
}

/// Reads `body` as a `T`; see the module's rule for the errors.
/// The problem is boxed: it is large, and the happy path should not carry its size.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Box<Problem>> {
    // Every body is an object; serde would also read a struct from an array (`[null, null]`).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        if let Err(syntax) = serde_json::from_slice::<IgnoredAny>(body) {
            return Err(Box::new(malformed(&syntax)));
        }
        return Err(Box::new(unfitting(
            "invalid_body",
            ".",
            "must be a JSON object",
        )));
    }
    let mut reader = serde_json::Deserializer::from_slice(body);
    let error = match serde_path_to_error::deserialize(&mut reader) {
        Ok(value) => match reader.end() {
            Ok(()) => return Ok(value),
            Err(error) => return Err(Box::new(malformed(&error))),
        },
        Err(error) => error,
    };
    if !error.inner().is_data() {
        return Err(Box::new(malformed(error.inner())));
    }
    // A data error can come before a syntax error further on (`[1, 2` read as an object):
    // only a body that parses whole is "well-formed JSON of the wrong shape".
    if let Err(syntax) = serde_json::from_slice::<IgnoredAny>(body) {
        return Err(Box::new(malformed(&syntax)));
    }
    // JSON Schema counts `1.0` as an integer, so generated clients may send it as one.
    if let Ok(mut value) = serde_json::from_slice::<Value>(body)
        && integral_floats_to_integers(&mut value)
        && let Ok(fitted) = serde_json::from_value(value)
    {
        return Ok(fitted);
    }
    let path = error.path().to_string();
    let message = without_position(error.inner());
    Err(Box::new(unfitting("invalid_body", &path, &message)))
}

fn malformed(error: &serde_json::Error) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed_body",
        format!("The body is not valid JSON: {}", without_position(error)),
    )
}

/// The 422 for a value at `path` (`.` for the whole body) that does not fit, naming the field.
fn unfitting(code: &str, path: &str, message: &str) -> Problem {
    let parent = if path == "." { "" } else { path };
    let named = |rest: &str| {
        let name = rest.split('`').next().unwrap_or_default();
        if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        }
    };
    let (field, message) = if message.starts_with("unknown field `") {
        // The path already ends with the unknown name.
        (path.to_owned(), "is not a known field".to_owned())
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        (named(rest), "is required".to_owned())
    } else if parent.is_empty() {
        ("body".to_owned(), message.to_owned())
    } else {
        (parent.to_owned(), message.to_owned())
    };
    let mut problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        code,
        format!("`{field}` {message}."),
    );
    problem.errors = Some(vec![ProblemField { field, message }]);
    problem
}

/// Rewrites every number like `3.0` (within i64) as `3`; true when there was one.
fn integral_floats_to_integers(value: &mut Value) -> bool {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float)
                if !number.is_i64()
                    && !number.is_u64()
                    && float.fract() == 0.0
                    && float.abs() < 9.0e15 =>
            {
                *value = Value::from(float as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |found, item| {
            integral_floats_to_integers(item) | found
        }),
        Value::Object(fields) => fields.values_mut().fold(false, |found, item| {
            integral_floats_to_integers(item) | found
        }),
        _ => false,
    }
}

/// serde's message without "at line 1 column 9", which helps nobody reading an API error.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

/// A query string read into `T`; a parameter that does not fit is 422 naming it.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            decode_query(req.query_string())
                .map(Query)
                .map_err(|problem| *problem),
        )
    }
}

pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, Box<Problem>> {
    let reader = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(reader).map_err(|error| {
        let message = match error.inner().to_string() {
            m if m.starts_with("invalid digit") || m.contains("number") => {
                "must be a whole number".to_owned()
            }
            m => m,
        };
        Box::new(unfitting(
            "invalid_query",
            &error.path().to_string(),
            &message,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        count: Option<i64>,
    }

    fn refusal(body: &str) -> (u16, String, Vec<String>) {
        let problem = decode_json::<Body>(body.as_bytes()).unwrap_err();
        let fields = problem
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.field)
            .collect();
        (problem.status, problem.code, fields)
    }

    #[test]
    fn syntax_errors_are_400_even_when_a_shape_error_comes_first() {
        for body in [r#"[1, 2"#, r#"{"name": "#, r#"{"name": "a"} x"#, ""] {
            assert_eq!(refusal(body).0, 400, "{body}");
            assert_eq!(refusal(body).1, "malformed_body", "{body}");
        }
    }

    #[test]
    fn shape_errors_are_422_naming_the_field() {
        assert_eq!(
            refusal(r#"{"name": "a", "colour": 1}"#),
            (422, "invalid_body".into(), vec!["colour".into()])
        );
        assert_eq!(refusal(r#"{}"#).2, ["name"]);
        assert_eq!(refusal(r#"{"name": 5}"#).2, ["name"]);
        assert_eq!(refusal(r#""just text""#).2, ["body"]);
        assert_eq!(refusal(r#"["a", 1]"#).2, ["body"]);
    }

    #[test]
    fn an_integral_float_is_an_integer() {
        let body: Body = decode_json(br#"{"name": "a", "count": 3.0}"#).unwrap();
        assert_eq!(body.count, Some(3));
        assert_eq!(refusal(r#"{"name": "a", "count": 3.5}"#).2, ["count"]);
    }

    #[derive(Debug, Deserialize)]
    struct Params {
        #[allow(dead_code)]
        q: String,
        #[allow(dead_code)]
        limit: Option<u64>,
    }

    #[test]
    fn a_query_parameter_that_does_not_fit_is_named() {
        for (query, field) in [
            ("q=a&limit=-1", "limit"),
            ("q=a&limit=x", "limit"),
            ("limit=5", "q"),
        ] {
            let problem = decode_query::<Params>(query).unwrap_err();
            assert_eq!(problem.status, 422, "{query}");
            assert_eq!(problem.errors.unwrap()[0].field, field, "{query}");
        }
        assert!(decode_query::<Params>("q=a&limit=5").is_ok());
    }
}
