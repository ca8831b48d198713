//! OpenTelemetry traces over OTLP (HTTP, JSON), and W3C trace context carried through HTTP
//! headers, the event log and outbound webhooks. Without an endpoint nothing is exported and
//! the helpers below cost next to nothing.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The exporter, flushed when the server stops.
pub struct Traces(SdkTracerProvider);

impl Traces {
    /// Exports spans to the collector at `endpoint` (its base URL: spans go to `/v1/traces`).
    pub fn start(endpoint: &str, service: &str, instance: &str) -> anyhow::Result<Self> {
        let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let (service, instance) = (service.to_owned(), instance.to_owned());
        // The blocking HTTP client must be built (and later dropped) off the async runtime.
        std::thread::spawn(move || -> anyhow::Result<Self> {
            use opentelemetry_otlp::{Protocol, WithExportConfig};
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpJson)
                .with_endpoint(url)
                .build()?;
            let resource = opentelemetry_sdk::Resource::builder_empty()
                .with_service_name(service)
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.instance.id",
                    instance,
                ))
                .build();
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build();
            Ok(Self(provider))
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the trace exporter could not start"))?
    }

    pub fn tracer(&self) -> opentelemetry_sdk::trace::Tracer {
        self.0.tracer("chat-server")
    }

    /// Sends what is buffered; call once, at the end.
    pub fn shutdown(self) {
        let provider = self.0;
        let _ = std::thread::spawn(move || provider.shutdown()).join();
    }
}

/// The `traceparent` of the current span, when it is sampled into a trace.
pub fn traceparent() -> Option<String> {
    let context = Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// The trace context a `traceparent` value names, when it is well-formed.
fn parent(traceparent: Option<&str>) -> Option<opentelemetry::Context> {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent?.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    context.span().span_context().is_valid().then_some(context)
}

/// Makes `span` a child of the trace `traceparent` names (from a request or a logged event).
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    if let Some(context) = parent(traceparent) {
        let _ = span.set_parent(context);
    }
}

/// Links `span` to the trace `traceparent` names: work done for many traces at once.
pub fn link(span: &Span, traceparent: Option<&str>) {
    if let Some(context) = parent(traceparent) {
        span.add_link(context.span().span_context().clone());
    }
}

/// Makes the request's span a child of the caller's trace when it sent a `traceparent`.
pub fn follow_request(span: &Span, headers: &actix_web::http::header::HeaderMap) {
    let traceparent = headers.get("traceparent").and_then(|v| v.to_str().ok());
    continue_trace(span, traceparent);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_trace_there_is_no_traceparent() {
        assert_eq!(traceparent(), None);
    }

    #[test]
    fn only_a_well_formed_traceparent_names_a_trace() {
        let given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = parent(Some(given)).expect("a trace");
        let span = context.span().span_context().clone();
        assert_eq!(
            span.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(parent(Some("00-nonsense")).is_none());
        assert!(parent(None).is_none());
    }
}
