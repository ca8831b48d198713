//! The refresh token in an HttpOnly cookie, for browsers, where script-readable storage is
//! the first thing an injected script reads. A client asks for it with the header
//! `X-Refresh-Token-Delivery: cookie` on register, login and refresh: the response then sets
//! `chat_refresh` (HttpOnly, SameSite=Strict, scoped to `/api/v1/auth`, Secure over HTTPS)
//! and leaves `refresh_token` out of its body. A refresh reads the cookie only when the same
//! header comes with it, which no cross-site form can send, so the cookie alone refreshes
//! nothing.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use time::OffsetDateTime;

pub const HEADER: HeaderName = HeaderName::from_static("x-refresh-token-delivery");
const NAME: &str = "chat_refresh";
const PATH: &str = "/api/v1/auth";

/// Whether the request asks for the cookie.
pub fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get(HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cookie"))
}

/// The refresh token in the request's cookie, when the request asks for cookie delivery.
pub fn presented(req: &HttpRequest) -> Option<String> {
    if !wanted(req) {
        return None;
    }
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` carrying `token` until `expires_at`.
pub fn set(req: &HttpRequest, token: &str, expires_at: OffsetDateTime) -> HeaderValue {
    let max_age = (expires_at - OffsetDateTime::now_utc())
        .whole_seconds()
        .max(0);
    cookie(req, token, max_age)
}

/// `Set-Cookie` removing it.
pub fn clear(req: &HttpRequest) -> HeaderValue {
    cookie(req, "", 0)
}

fn cookie(req: &HttpRequest, value: &str, max_age: i64) -> HeaderValue {
    let secure = if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{NAME}={value}; Path={PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
