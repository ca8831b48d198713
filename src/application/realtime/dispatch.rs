//! The dispatcher: delivery to local connections and across instances, and what it needs to
//! build a delivery (members, blocks, a message with its reactions). Its audience rules are in
//! `audience.rs`.

use std::sync::Arc;

use super::{Connection, Delivery, DeliveryReceipt, FanOut, Hub, RealtimeEvent};
use crate::application::conversations::{MEMBER_LISTS_CACHED, Members};
use crate::application::error::AppError;
use crate::application::events::EventLog;
use crate::application::messages::MessageView;
use crate::domain::conversations::ParticipantRepository;
use crate::domain::messages::{HistoryQueries, MessageRepository};
use crate::domain::shared::{ConversationId, MessageId, SessionId, UserId};
use crate::domain::users::BlockRepository;

/// Turns events into deliveries for exactly the users allowed to see them. Every instance
/// reads the event log itself and delivers durable events to its own connections; only
/// ephemeral events (typing, presence) cross instances through the fan-out.
#[derive(Clone)]
pub struct Dispatcher {
    pub(super) members: Arc<Members>,
    blocks: Arc<dyn BlockRepository>,
    messages: Arc<dyn MessageRepository>,
    history: Arc<dyn HistoryQueries>,
    pub(super) hub: Arc<Hub>,
    fanout: Arc<dyn FanOut>,
    log: Arc<dyn EventLog>,
}

impl Dispatcher {
    pub fn new(
        participants: Arc<dyn ParticipantRepository>,
        blocks: Arc<dyn BlockRepository>,
        messages: Arc<dyn MessageRepository>,
        history: Arc<dyn HistoryQueries>,
        hub: Arc<Hub>,
        fanout: Arc<dyn FanOut>,
        log: Arc<dyn EventLog>,
    ) -> Self {
        Self {
            members: Arc::new(Members::new(participants, MEMBER_LISTS_CACHED)),
            blocks,
            messages,
            history,
            hub,
            fanout,
            log,
        }
    }

    fn delivery(
        &self,
        recipients: Vec<UserId>,
        event: &RealtimeEvent,
        durable: bool,
        receipt: Option<DeliveryReceipt>,
    ) -> Delivery {
        Delivery {
            recipients,
            payload: event.frame(),
            durable,
            receipt,
            position: 0,
        }
    }

    /// Serialises an ephemeral event once and hands it to every instance's connections.
    pub async fn send(&self, recipients: Vec<UserId>, event: &RealtimeEvent) {
        if !recipients.is_empty() {
            let delivery = self.delivery(recipients, event, false, None);
            self.fanout.publish(delivery).await;
        }
    }

    /// Whether `user` is in conversation `id`, from the member lists kept for delivery.
    pub async fn is_member(&self, id: ConversationId, user: UserId) -> Result<bool, AppError> {
        Ok(self.members.of(id).await?.contains(&user))
    }

    /// Sends an ephemeral event of `actor`'s (typing) to everyone else in the conversation who
    /// has not blocked them.
    pub async fn send_to_conversation(
        &self,
        id: ConversationId,
        actor: UserId,
        event: &RealtimeEvent,
    ) {
        let recipients = match self.members.of(id).await {
            Ok(participants) => participants
                .iter()
                .copied()
                .filter(|u| *u != actor)
                .collect(),
            Err(error) => return tracing::warn!(%error, "recipients unavailable"),
        };
        match self.unblocked(recipients, actor).await {
            Ok(recipients) => self.send(recipients, event).await,
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "blocks unavailable"),
        }
    }

    /// `recipients` without those who blocked `actor`: what a blocked user does (typing,
    /// reactions, read markers) never reaches the one who blocked them.
    pub(super) async fn unblocked(
        &self,
        mut recipients: Vec<UserId>,
        actor: UserId,
    ) -> anyhow::Result<Vec<UserId>> {
        let blockers = self.blocks.blockers(actor).await?;
        if !blockers.is_empty() {
            recipients.retain(|u| !blockers.contains(u));
        }
        Ok(recipients)
    }

    /// Registers a live connection of `user` opened with `session`, which receives the events
    /// logged from now on.
    pub async fn connect(&self, user: UserId, session: SessionId) -> Connection {
        // Unknown, everything counts as new: a client may see a message twice (it dedupes by
        // seq) but never misses one.
        let head = self.log.head().await.unwrap_or_else(|error| {
            tracing::warn!(%error, "event log head unknown");
            0
        });
        self.hub.register(user, session, head)
    }

    /// Queues the event logged at `position` on this instance's connections of `recipients`.
    pub(super) async fn local(
        &self,
        position: i64,
        recipients: Vec<UserId>,
        event: &RealtimeEvent,
        durable: bool,
        receipt: Option<DeliveryReceipt>,
    ) {
        if !recipients.is_empty() {
            let delivery = Delivery {
                position,
                ..self.delivery(recipients, event, durable, receipt)
            };
            self.hub.deliver(&delivery);
        }
    }

    pub(super) async fn participants(&self, id: ConversationId) -> anyhow::Result<Vec<UserId>> {
        Ok(self.members.of(id).await?.to_vec())
    }

    pub(super) async fn message(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> anyhow::Result<Option<MessageView>> {
        let Some(message) = self.messages.find(conversation, id).await? else {
            return Ok(None);
        };
        // Reactions are per viewer (`me`); events carry the counts with `me` false.
        let mut reactions = self
            .history
            .reactions(&[id], UserId::from_uuid(uuid::Uuid::nil()))
            .await?;
        Ok(Some(MessageView {
            reactions: reactions.remove(&id).unwrap_or_default(),
            message,
        }))
    }
}
