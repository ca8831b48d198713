use std::sync::Arc;

use tokio::sync::broadcast;

use super::{Delivery, DeliveryReceipt, FanOut, PresenceStatus};
use crate::application::messages::MessageView;
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::{Message, MessageRepository};
use crate::domain::notifications::Notification;
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, UserId};

/// What clients are told, before it is put into wire format.
#[derive(Debug, Clone)]
pub enum RealtimeEvent {
    MessageCreated(MessageView),
    MessageUpdated(MessageView),
    MessageDeleted {
        conversation_id: ConversationId,
        message_id: MessageId,
        seq: i64,
    },
    ReactionAdded {
        conversation_id: ConversationId,
        message_id: MessageId,
        user_id: UserId,
        emoji: String,
    },
    ReactionRemoved {
        conversation_id: ConversationId,
        message_id: MessageId,
        user_id: UserId,
        emoji: String,
    },
    Read {
        conversation_id: ConversationId,
        user_id: UserId,
        seq: i64,
    },
    Delivered {
        conversation_id: ConversationId,
        user_id: UserId,
        seq: i64,
    },
    Typing {
        conversation_id: ConversationId,
        user_id: UserId,
        typing: bool,
    },
    Presence {
        user_id: UserId,
        status: PresenceStatus,
        last_seen_at: Option<time::OffsetDateTime>,
    },
    ConversationCreated {
        conversation_id: ConversationId,
    },
    ConversationUpdated {
        conversation_id: ConversationId,
    },
    ConversationDeleted {
        conversation_id: ConversationId,
    },
    ParticipantAdded {
        conversation_id: ConversationId,
        user_id: UserId,
        by: UserId,
    },
    ParticipantRemoved {
        conversation_id: ConversationId,
        user_id: UserId,
        by: UserId,
    },
    NotificationCreated(Arc<Notification>),
}

/// Puts an event into wire format; provided by the presentation layer.
pub type Encoder = Arc<dyn Fn(&RealtimeEvent) -> String + Send + Sync>;

// Delivered markers of large groups would fan out quadratically; their clients read receipts
// on demand instead.
const DELIVERED_EVENTS_MAX_PARTICIPANTS: usize = 10;

/// Turns committed domain events into deliveries for exactly the users allowed to see them.
#[derive(Clone)]
pub struct Dispatcher {
    conversations: Arc<dyn ConversationRepository>,
    messages: Arc<dyn MessageRepository>,
    fanout: Arc<dyn FanOut>,
    encode: Encoder,
}

impl Dispatcher {
    pub fn new(
        conversations: Arc<dyn ConversationRepository>,
        messages: Arc<dyn MessageRepository>,
        fanout: Arc<dyn FanOut>,
        encode: Encoder,
    ) -> Self {
        Self {
            conversations,
            messages,
            fanout,
            encode,
        }
    }

    /// Serialises once and hands the event to the fan-out.
    pub async fn send(
        &self,
        recipients: Vec<UserId>,
        event: &RealtimeEvent,
        durable: bool,
        receipt: Option<DeliveryReceipt>,
    ) {
        if recipients.is_empty() {
            return;
        }
        let payload: Arc<str> = Arc::from((self.encode)(event));
        self.fanout
            .publish(Delivery {
                recipients,
                payload,
                durable,
                receipt,
            })
            .await;
    }

    /// Sends to everyone in the conversation but `except`.
    pub async fn send_to_conversation(
        &self,
        id: ConversationId,
        except: Option<UserId>,
        event: &RealtimeEvent,
        durable: bool,
    ) {
        match self.conversations.participant_ids(id).await {
            Ok(participants) => {
                let recipients = participants
                    .into_iter()
                    .filter(|u| Some(*u) != except)
                    .collect();
                self.send(recipients, event, durable, None).await;
            }
            Err(error) => tracing::warn!(%error, "recipients unavailable"),
        }
    }

    /// Consumes the domain event bus until it closes.
    pub async fn run(self, mut events: broadcast::Receiver<DomainEvent>) {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(error) = self.dispatch(event).await {
                        tracing::warn!(error = %format!("{error:#}"), "event not delivered; clients catch up by seq");
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "realtime dispatch fell behind; clients catch up by seq"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    async fn participants(&self, id: ConversationId) -> anyhow::Result<Vec<UserId>> {
        Ok(self.conversations.participant_ids(id).await?)
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
            .messages
            .reactions(&[id], UserId::from_uuid(uuid::Uuid::nil()))
            .await?;
        Ok(Some(MessageView {
            reactions: reactions.remove(&id).unwrap_or_default(),
            message,
        }))
    }

    async fn dispatch(&self, event: DomainEvent) -> anyhow::Result<()> {
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
                self.send(
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
                self.send(recipients, &RealtimeEvent::MessageUpdated(view), true, None)
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
                self.send(recipients, &event, true, None).await;
            }
            DomainEvent::ReactionAdded {
                conversation_id,
                message_id,
                user_id,
                emoji,
            } => {
                let recipients = self.participants(conversation_id).await?;
                let event = RealtimeEvent::ReactionAdded {
                    conversation_id,
                    message_id,
                    user_id,
                    emoji,
                };
                self.send(recipients, &event, true, None).await;
            }
            DomainEvent::ReactionRemoved {
                conversation_id,
                message_id,
                user_id,
                emoji,
            } => {
                let recipients = self.participants(conversation_id).await?;
                let event = RealtimeEvent::ReactionRemoved {
                    conversation_id,
                    message_id,
                    user_id,
                    emoji,
                };
                self.send(recipients, &event, true, None).await;
            }
            DomainEvent::ReadMarkerMoved {
                conversation_id,
                user_id,
                seq,
            } => {
                let recipients = self.participants(conversation_id).await?;
                self.send(
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
                        self.send(others.collect(), &event, false, None).await;
                    }
                }
            }
            DomainEvent::ConversationCreated { conversation_id } => {
                let recipients = self.participants(conversation_id).await?;
                self.send(
                    recipients,
                    &RealtimeEvent::ConversationCreated { conversation_id },
                    true,
                    None,
                )
                .await;
            }
            DomainEvent::ConversationUpdated { conversation_id } => {
                let recipients = self.participants(conversation_id).await?;
                self.send(
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
                self.send(
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
                self.send(recipients, &event, true, None).await;
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
                self.send(recipients, &event, true, None).await;
            }
            DomainEvent::NotificationCreated { notification } => {
                let recipient = vec![notification.user_id];
                let event = RealtimeEvent::NotificationCreated(notification);
                self.send(recipient, &event, true, None).await;
            }
            DomainEvent::ContactRequested { .. } | DomainEvent::ContactAccepted { .. } => {}
        }
        Ok(())
    }
}
