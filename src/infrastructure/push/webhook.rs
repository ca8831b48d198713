//! Pushes as JSON POSTs to a configured URL: a push gateway that speaks FCM/APNs, or any
//! service of the operator's. Transient failures are retried with exponential backoff; 404 or
//! 410 means the device's token is dead.

use std::time::Duration;

use anyhow::bail;
use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::json;

use crate::application::notifications::{PushOutcome, PushSender};
use crate::domain::notifications::{Device, Notification};

pub struct WebhookPush {
    client: reqwest::Client,
    url: String,
    max_attempts: u32,
    initial_backoff: Duration,
}

impl WebhookPush {
    pub fn new(
        url: &str,
        max_attempts: u32,
        initial_backoff: Duration,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("chat-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            url: url.to_owned(),
            max_attempts: max_attempts.max(1),
            initial_backoff,
        })
    }
}

/// The body POSTed for one device.
fn payload(device: &Device, n: &Notification) -> serde_json::Value {
    let rfc3339 = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    json!({
        "device": {
            "id": device.id.as_uuid(),
            "platform": device.platform.as_str(),
            "token": device.token.as_str(),
        },
        "notification": {
            "id": n.id.as_uuid(),
            "user_id": n.user_id.as_uuid(),
            "kind": n.kind.as_str(),
            "actor_id": n.actor_id.as_uuid(),
            "conversation_id": n.conversation_id.map(|c| c.as_uuid()),
            "message_id": n.message_id.map(|m| m.as_uuid()),
            "created_at": rfc3339(n.created_at),
        },
    })
}

/// Whether a failed attempt may succeed if repeated: server errors, throttling, timeouts.
fn retryable(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

#[async_trait]
impl PushSender for WebhookPush {
    async fn push(
        &self,
        device: &Device,
        notification: &Notification,
    ) -> anyhow::Result<PushOutcome> {
        let body = payload(device, notification);
        // The gateway may carry the trace on to FCM/APNs calls of its own.
        let trace = crate::telemetry::otel::traceparent();
        let mut backoff = self.initial_backoff;
        for attempt in 1..=self.max_attempts {
            let mut request = self
                .client
                .post(&self.url)
                .header("idempotency-key", notification.id.to_string());
            if let Some(trace) = &trace {
                request = request.header("traceparent", trace);
            }
            let outcome = request.json(&body).send().await;
            let retry = match outcome {
                Ok(response) if response.status().is_success() => {
                    attempted("delivered");
                    return Ok(PushOutcome::Delivered);
                }
                // What FCM (404 UNREGISTERED) and APNs (410) answer for a dead token.
                Ok(response)
                    if matches!(response.status(), StatusCode::NOT_FOUND | StatusCode::GONE) =>
                {
                    attempted("unregistered");
                    return Ok(PushOutcome::Unregistered);
                }
                Ok(response) if !retryable(response.status()) => {
                    attempted("refused");
                    metrics::counter!("push_failures_total").increment(1);
                    bail!("push refused with {}", response.status())
                }
                Ok(response) => format!("status {}", response.status()),
                Err(error) => error.to_string(),
            };
            attempted("retryable");
            tracing::debug!(attempt, reason = %retry, "push failed");
            if attempt < self.max_attempts {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
        metrics::counter!("push_failures_total").increment(1);
        bail!("push failed {} times", self.max_attempts)
    }
}

/// One try at the gateway, by its result.
fn attempted(result: &'static str) {
    metrics::counter!("push_attempts_total", "result" => result).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(retryable(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(retryable(StatusCode::SERVICE_UNAVAILABLE));
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!retryable(StatusCode::BAD_REQUEST));
        assert!(!retryable(StatusCode::GONE));
    }
}
