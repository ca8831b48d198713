//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`, or `unavailable` when a check failed.
    pub status: &'static str,
    /// Each dependency's state: `ok` or why not.
    pub checks: std::collections::BTreeMap<&'static str, String>,
}

/// The process is up (no dependency is checked).
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, body = HealthResponse)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok",
        checks: Default::default(),
    })
}

/// The instance can serve: the database (and Redis, when configured) answer.
#[utoipa::path( get, path = "/health/ready", tag = "health",
    responses((status = 200, body = HealthResponse),
    (status = 503, description = "A dependency is down", body = HealthResponse)))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let results = futures_util::future::join_all(
        state
            .health
            .iter()
            .map(|check| async move { (check.name(), check.check().await) }),
    )
    .await;
    let healthy = results.iter().all(|(_, result)| result.is_ok());
    let checks = results
        .into_iter()
        .map(|(name, result)| {
            (
                name,
                result.map_or_else(|e| format!("{e:#}"), |()| "ok".to_owned()),
            )
        })
        .collect();
    if healthy {
        HttpResponse::Ok().json(HealthResponse {
            status: "ok",
            checks,
        })
    } else {
        tracing::warn!(?checks, "not ready");
        HttpResponse::ServiceUnavailable().json(HealthResponse {
            status: "unavailable",
            checks,
        })
    }
}
