//! Prometheus metrics: the recorder, the per-request middleware and `GET /metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, get, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::problem::Problem;

/// `GET /metrics` and who may read it.
#[derive(Debug)]
pub struct MetricsEndpoint {
    pub handle: Option<PrometheusHandle>,
    /// When set, the request must carry `Authorization: Bearer <token>`.
    pub token: Option<secrecy::SecretString>,
}

impl MetricsEndpoint {
    fn allows(&self, req: &actix_web::HttpRequest) -> bool {
        use secrecy::ExposeSecret;
        let Some(token) = &self.token else {
            return true;
        };
        let given = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        constant_time_eq(given.as_bytes(), token.expose_secret().as_bytes())
    }
}

/// Compares without an early exit, so the time taken does not reveal the matching prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// The process-wide recorder, installed on first use (a process has one, however many servers
/// it runs, as the tests do).
pub fn recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                // Every `*_seconds` histogram: request, send, event delay, statement.
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?;
            builder
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics disabled"))
                .ok()
        })
        .clone()
}

/// The standard methods by name, anything else as `other`: a client must not be able to add
/// label values (and so series) at will.
fn method_label(method: &actix_web::http::Method) -> String {
    const KNOWN: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    let name = method.as_str();
    if KNOWN.contains(&name) {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// Counts requests by method, route pattern (bounded cardinality, unlike raw paths) and status.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let response = next.call(req).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// Prometheus text exposition. Served on its own address instead when `metrics.listen` is set.
#[utoipa::path(get, path = "/metrics", tag = "health", security((), ("bearer" = [])),
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
    (status = 401, description = "`metrics.token` is set and the request does not carry it")))]
#[get("/metrics")]
pub async fn render(
    req: actix_web::HttpRequest,
    state: web::Data<MetricsEndpoint>,
) -> HttpResponse {
    use actix_web::ResponseError;
    if !state.allows(&req) {
        return Problem::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "The metrics token is required.",
        )
        .error_response();
    }
    let Some(handle) = &state.handle else {
        return HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body("");
    };
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}
