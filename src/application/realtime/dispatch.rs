use std::sync::Arc;

use async_trait::async_trait;

use super::{CaseFrame, Connection, Delivery, DeliveryReceipt, FanOut, Hub, RealtimeEvent};
use crate::application::conversations::{MEMBER_LISTS_CACHED, Members, membership_changed};
use crate::application::error::AppError;
use crate::application::events::{EventHandler, EventLog, Gap, LoggedEvent};
use crate::application::messages::MessageView;
use crate::domain::conversations::ParticipantRepository;
use crate::domain::messages::{HistoryQueries, Message, MessageRepository};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, SessionId, UserId};
use crate::domain::users::BlockRepository;

// Delivered markers of large groups would fan out quadratically; their clients read receipts
// on demand instead.
const DELIVERED_EVENTS_MAX_PARTICIPANTS: usize = 10;

/// Turns events into deliveries for exactly the users allowed to see them. Every instance
/// reads the event log itself and delivers durable events to its own connections; only
/// ephemeral events (typing, presence) cross instances through the fan-out.
#[derive(Clone)]
pub struct Dispatcher {
    members: Arc<Members>,
    blocks: Arc<dyn BlockRepository>,
    messages: Arc<dyn MessageRepository>,
    history: Arc<dyn HistoryQueries>,
    hub: Arc<Hub>,
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
    async fn unblocked(
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
    async fn local(
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

    async fn participants(&self, id: ConversationId) -> anyhow::Result<Vec<UserId>> {
        Ok(self.members.of(id).await?.to_vec())
    }

    async fn message(
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

    async fn dispatch(&self, position: i64, event: DomainEvent) -> anyhow::Result<()> {
        if let Some(changed) = membership_changed(&event) {
            self.members.forget(changed).await;
        }
        match event {
            DomainEvent::MessageCreated { message } => {
                let conversation_id = message.conversation_id;
                let receipt = DeliveryReceipt {
                    conversation_id,
                    seq: message.seq,
                    sender: message.sender_id,
                };
                let recipients = self.participants(conversation_id).await?;
                // A new message has no reactions yet.
                let view = MessageView {
                    message: Message::clone(&message),
                    reactions: Vec::new(),
                };
                self.local(
                    position,
                    recipients,
                    &RealtimeEvent::MessageCreated(view),
                    true,
                    Some(receipt),
                )
                .await;
            }
            DomainEvent::MessageUpdated {
                conversation_id,
                message_id,
                ..
            } => {
                let Some(view) = self.message(conversation_id, message_id).await? else {
                    return Ok(());
                };
                let recipients = self.participants(conversation_id).await?;
                self.local(
                    position,
                    recipients,
                    &RealtimeEvent::MessageUpdated(view),
                    true,
                    None,
                )
                .await;
            }
            DomainEvent::MessageDeleted {
                conversation_id,
                message_id,
                seq,
            } => {
                let recipients = self.participants(conversation_id).await?;
                let event = RealtimeEvent::MessageDeleted {
                    conversation_id,
                    message_id,
                    seq,
                };
                self.local(position, recipients, &event, true, None).await;
            }
            DomainEvent::ReactionAdded {
                conversation_id,
                message_id,
                user_id,
                emoji,
            } => {
                let recipients = self.participants(conversation_id).await?;
                let recipients = self.unblocked(recipients, user_id).await?;
                let event = RealtimeEvent::ReactionAdded {
                    conversation_id,
                    message_id,
                    user_id,
                    emoji,
                };
                self.local(position, recipients, &event, true, None).await;
            }
            DomainEvent::ReactionRemoved {
                conversation_id,
                message_id,
                user_id,
                emoji,
            } => {
                let recipients = self.participants(conversation_id).await?;
                let recipients = self.unblocked(recipients, user_id).await?;
                let event = RealtimeEvent::ReactionRemoved {
                    conversation_id,
                    message_id,
                    user_id,
                    emoji,
                };
                self.local(position, recipients, &event, true, None).await;
            }
            DomainEvent::ReadMarkerMoved {
                conversation_id,
                user_id,
                seq,
            } => {
                let recipients = self.participants(conversation_id).await?;
                let recipients = self.unblocked(recipients, user_id).await?;
                self.local(
                    position,
                    recipients,
                    &RealtimeEvent::Read {
                        conversation_id,
                        user_id,
                        seq,
                    },
                    true,
                    None,
                )
                .await;
            }
            DomainEvent::DeliveredMarkersMoved {
                conversation_id,
                users,
                seq,
            } => {
                let recipients = self.participants(conversation_id).await?;
                if recipients.len() <= DELIVERED_EVENTS_MAX_PARTICIPANTS {
                    for user_id in users {
                        let others = recipients.iter().copied().filter(|u| *u != user_id);
                        let event = RealtimeEvent::Delivered {
                            conversation_id,
                            user_id,
                            seq,
                        };
                        self.local(position, others.collect(), &event, false, None)
                            .await;
                    }
                }
            }
            DomainEvent::ConversationCreated { conversation_id } => {
                let recipients = self.participants(conversation_id).await?;
                self.local(
                    position,
                    recipients,
                    &RealtimeEvent::ConversationCreated { conversation_id },
                    true,
                    None,
                )
                .await;
            }
            DomainEvent::ConversationUpdated { conversation_id } => {
                let recipients = self.participants(conversation_id).await?;
                self.local(
                    position,
                    recipients,
                    &RealtimeEvent::ConversationUpdated { conversation_id },
                    true,
                    None,
                )
                .await;
            }
            DomainEvent::ConversationDeleted {
                conversation_id,
                participants,
            } => {
                self.local(
                    position,
                    participants,
                    &RealtimeEvent::ConversationDeleted { conversation_id },
                    true,
                    None,
                )
                .await;
            }
            DomainEvent::ParticipantAdded {
                conversation_id,
                user_id,
                by,
            } => {
                let recipients = self.participants(conversation_id).await?;
                let event = RealtimeEvent::ParticipantAdded {
                    conversation_id,
                    user_id,
                    by,
                };
                self.local(position, recipients, &event, true, None).await;
            }
            DomainEvent::ParticipantRemoved {
                conversation_id,
                user_id,
                by,
            } => {
                // The removed user hears it too, so their client can drop the conversation.
                let mut recipients = self.participants(conversation_id).await?;
                recipients.push(user_id);
                let event = RealtimeEvent::ParticipantRemoved {
                    conversation_id,
                    user_id,
                    by,
                };
                self.local(position, recipients, &event, true, None).await;
            }
            DomainEvent::NotificationCreated { notification } => {
                let recipient = vec![notification.user_id];
                let event = RealtimeEvent::NotificationCreated(notification.as_ref().into());
                self.local(position, recipient, &event, true, None).await;
            }
            DomainEvent::SessionsEnded { user_id, sessions } => {
                self.hub.end_sessions(user_id, &sessions);
            }
            DomainEvent::CaseChanged(change) => {
                let event = RealtimeEvent::CaseUpdated(CaseFrame {
                    conversation_id: change.conversation_id,
                    business_id: change.business_id,
                    team_id: change.team_id,
                    state: change.state,
                    agent_id: change.agent_id,
                    priority: change.priority,
                    escalated: change.escalated,
                });
                self.local(position, change.audience, &event, true, None)
                    .await;
            }
            DomainEvent::StaffChanged(change) => {
                let event = RealtimeEvent::AgentUpdated {
                    business_id: change.business_id,
                    user_id: change.user_id,
                    status: change.status,
                    capacity: change.capacity,
                };
                self.local(position, change.audience, &event, true, None)
                    .await;
            }
            DomainEvent::ContactRequested { .. } | DomainEvent::ContactAccepted { .. } => {}
        }
        Ok(())
    }
}

#[async_trait]
impl EventHandler for Dispatcher {
    async fn handle(&self, logged: &LoggedEvent) -> Result<(), AppError> {
        self.dispatch(logged.position, logged.event.clone())
            .await
            .map_err(AppError::Unexpected)
    }

    /// The events are gone: tell every local client to catch up by seq.
    async fn missed(&self, gap: Gap) {
        tracing::error!(
            after = gap.after,
            through = gap.through,
            "events missed; clients told to resync"
        );
        self.hub.deliver_all(RealtimeEvent::EVENTS_MISSED.frame());
    }
}
