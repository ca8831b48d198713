//! The tracing subscriber, and the root span every HTTP request runs in.

pub mod otel;
pub mod statements;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Span};
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Installs the global subscriber: JSON lines in production, human-readable otherwise, and
/// spans exported to `traces` when given. `RUST_LOG` overrides the default filter. Safe to
/// call more than once (later calls are no-ops).
pub fn init(json: bool, default_filter: &str, traces: Option<&otel::Traces>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let output = tracing_subscriber::fmt::layer().with_target(false);
    let output = if json {
        output
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed()
    } else {
        output.boxed()
    };
    let exported = traces.map(|t| tracing_opentelemetry::layer().with_tracer(t.tracer()));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(output.with_filter(NoClientErrors))
        .with(exported)
        .try_init();
}

/// Drops the HTTP layer's error line for a request it could not parse (a NUL in a header,
/// a broken request line): that is the client's mistake, already answered 400, and a client
/// must not be able to write error-level lines into the server's log.
struct NoClientErrors;

impl<S> Filter<S> for NoClientErrors {
    fn enabled(&self, _: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _: &Context<'_, S>) -> bool {
        if !event.metadata().target().starts_with("actix_http") {
            return true;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        !is_client_parse_error(&message.0)
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

fn is_client_parse_error(message: &str) -> bool {
    message.starts_with("stream error: request parse error")
}

/// The id of one request: the caller's `X-Request-Id` when well-formed, else a new UUID v7.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// One `http_request` span per request, carrying the request id; closes with status and latency.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .filter(|value| well_formed(value))
            .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
        request.extensions_mut().insert(RequestId(id.clone()));
        // The route is recorded at the end: before routing, finding it means matching the path
        // against every route's pattern, once more than the router does.
        let span = tracing::info_span!(
            "http_request",
            request_id = %id,
            method = %request.method(),
            route = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        otel::follow_request(&span, request.headers());
        span
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let (status, route) = match outcome {
            Ok(response) => (
                response.response().status(),
                response.request().match_pattern(),
            ),
            Err(error) => (error.as_response_error().status_code(), None),
        };
        span.record("status", status.as_u16());
        span.record("route", route.as_deref().unwrap_or("unmatched"));
        span.in_scope(|| tracing::debug!("request finished"));
    }
}

#[cfg(test)]
mod tests {
    use super::is_client_parse_error;

    #[test]
    fn only_a_request_the_client_malformed_is_kept_out_of_the_log() {
        assert!(is_client_parse_error(
            "stream error: request parse error: invalid Header provided"
        ));
        assert!(!is_client_parse_error(
            "Response payload stream error: Io(BrokenPipe)"
        ));
    }
}
