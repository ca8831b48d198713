//! The fan-out channel: each delivery serialised once, the same bytes to every instance; and
//! the outbox wake-ups other instances' writes send.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytestring::ByteString;
use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use uuid::Uuid;

use crate::application::realtime::{Delivery, FanOut, Hub};
use crate::domain::shared::UserId;
use crate::infrastructure::persistence::outbox::OutboxSignal;

/// A delivery on the channel: the recipient count (u32, big-endian), each recipient's 16
/// bytes, then the frame's bytes as serialised once. Only ephemeral events cross instances
/// this way; durable ones each instance reads from the event log.
fn encode(delivery: &Delivery) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4 + 16 * delivery.recipients.len() + delivery.payload.len());
    bytes.extend_from_slice(&(delivery.recipients.len() as u32).to_be_bytes());
    for user in &delivery.recipients {
        bytes.extend_from_slice(user.as_uuid().as_bytes());
    }
    bytes.extend_from_slice(delivery.payload.as_bytes());
    bytes
}

fn decode(bytes: &[u8]) -> Option<Delivery> {
    let count = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let end = count.checked_mul(16)?.checked_add(4)?;
    let recipients = bytes
        .get(4..end)?
        .chunks_exact(16)
        .map(|raw| Uuid::from_slice(raw).map(UserId::from_uuid))
        .collect::<Result<_, _>>()
        .ok()?;
    let payload = std::str::from_utf8(bytes.get(end..)?).ok()?;
    Some(Delivery {
        recipients,
        payload: ByteString::from(payload.to_owned()),
        durable: false,
        receipt: None,
        position: 0,
    })
}

/// Publishes each delivery once to a Redis channel; every instance holds one subscription to
/// it and delivers to its own connections.
pub struct RedisFanOut {
    redis: ConnectionManager,
    channel: String,
}

impl RedisFanOut {
    pub fn new(redis: ConnectionManager, prefix: &str) -> Self {
        Self {
            redis,
            channel: format!("{prefix}events"),
        }
    }

    /// The instance's one subscription: delivers what any instance publishes to local
    /// connections, and wakes the event log's readers when another instance committed events;
    /// resubscribes after connection losses, until the process ends. After a loss the readers
    /// are woken anyway: what was committed meanwhile is in the log.
    pub async fn subscribe(
        client: redis::Client,
        prefix: String,
        hub: Arc<Hub>,
        signal: OutboxSignal,
    ) {
        let channel = format!("{prefix}events");
        let wake_channel = format!("{prefix}wake");
        loop {
            match client.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    if let Err(error) = pubsub.subscribe(&[&channel, &wake_channel]).await {
                        crate::infrastructure::redis_failed("fanout");
                        tracing::warn!(%error, "redis subscribe failed");
                    } else {
                        tracing::info!(%channel, "subscribed to fan-out");
                        signal.wake();
                        let mut messages = pubsub.on_message();
                        while let Some(message) = messages.next().await {
                            if message.get_channel_name() == wake_channel {
                                signal.wake();
                                continue;
                            }
                            match decode(message.get_payload_bytes()) {
                                Some(delivery) => hub.deliver(&delivery),
                                None => tracing::warn!("malformed fan-out message"),
                            }
                        }
                        tracing::warn!("fan-out subscription ended; resubscribing");
                    }
                }
                Err(error) => {
                    crate::infrastructure::redis_failed("fanout");
                    tracing::warn!(%error, "redis pub/sub unavailable; retrying");
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Tells the other instances, through Redis, that this one committed events. Wake-ups that
/// pile up while one is being sent go out as one. A lost wake-up only delays: readers poll.
pub async fn relay_wakeups(redis: ConnectionManager, prefix: String, signal: OutboxSignal) {
    let channel = format!("{prefix}wake");
    let mut wakeups = signal.subscribe();
    let mut relayed = signal.commits();
    while wakeups.changed().await.is_ok() {
        let commits = signal.commits();
        if commits == relayed {
            continue;
        }
        relayed = commits;
        let mut redis = redis.clone();
        let published: redis::RedisResult<()> = redis.publish(&channel, 1).await;
        if let Err(error) = published {
            crate::infrastructure::redis_failed("fanout");
            tracing::debug!(%error, "wake-up not relayed; other instances will poll");
        }
    }
}

#[async_trait]
impl FanOut for RedisFanOut {
    async fn publish(&self, delivery: Delivery) {
        let mut redis = self.redis.clone();
        let published: redis::RedisResult<()> =
            redis.publish(&self.channel, encode(&delivery)).await;
        if let Err(error) = published {
            // The event is lost for live clients; they converge by seq on their next sync.
            crate::infrastructure::redis_failed("fanout");
            tracing::warn!(%error, "fan-out publish failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_crosses_the_channel_as_it_was_serialised() {
        let delivery = Delivery {
            recipients: vec![
                UserId::from_uuid(Uuid::now_v7()),
                UserId::from_uuid(Uuid::now_v7()),
            ],
            payload: ByteString::from_static(r#"{"type":"typing","data":{"typing":true}}"#),
            durable: false,
            receipt: None,
            position: 0,
        };
        let decoded = decode(&encode(&delivery)).expect("decodes");
        assert_eq!(decoded.recipients, delivery.recipients);
        assert_eq!(decoded.payload, delivery.payload);
        assert!(
            decode(&encode(&delivery)[..20]).is_none(),
            "a cut recipient list"
        );
        assert!(decode(&[0, 0, 0, 1]).is_none());
        assert!(decode(&[0xff, 0xff, 0xff, 0xff]).is_none(), "no overflow");
    }
}
