//! Who hears each durable event, in the order the event log gives them: one audience rule per
//! event.

use async_trait::async_trait;

use super::dispatch::Dispatcher;
use super::{DeliveryReceipt, RealtimeEvent};
use crate::application::error::AppError;
use crate::application::events::{EventHandler, Gap, LoggedEvent};
use crate::application::messages::MessageView;
use crate::domain::messages::Message;
use crate::domain::shared::{ConversationId, DomainEvent, MarkerChange, UserId};

// Delivered markers of large groups would fan out quadratically; their clients read receipts
// on demand instead.
const DELIVERED_EVENTS_MAX_PARTICIPANTS: usize = 10;

impl Dispatcher {
    pub(super) async fn dispatch(&self, position: i64, event: DomainEvent) -> anyhow::Result<()> {
        self.members.apply(&event).await;
        match event {
            DomainEvent::MessageCreated { message } => {
                let conversation_id = message.conversation_id();
                let receipt = DeliveryReceipt {
                    conversation_id,
                    seq: message.seq(),
                    sender: message.sender_id(),
                };
                let recipients = self.participants(conversation_id).await?;
                // A new message has no reactions yet.
                let view = MessageView {
                    message: Message::clone(&message),
                    reactions: Vec::new(),
                };
                let event = RealtimeEvent::MessageCreated(view);
                self.local(position, recipients, &event, true, Some(receipt))
                    .await;
            }
            DomainEvent::MessageUpdated(change) => {
                let (conversation_id, message_id) = (change.conversation_id, change.message_id);
                if let Some(view) = self.message(conversation_id, message_id).await? {
                    let event = RealtimeEvent::MessageUpdated(view);
                    self.members_hear(position, conversation_id, None, event)
                        .await?;
                }
            }
            DomainEvent::MessageDeleted(change) => {
                let conversation_id = change.conversation_id;
                let event = RealtimeEvent::MessageDeleted(change);
                self.members_hear(position, conversation_id, None, event)
                    .await?;
            }
            DomainEvent::ReactionAdded(change) => {
                let (conversation_id, actor) = (change.conversation_id, Some(change.user_id));
                let event = RealtimeEvent::ReactionAdded(change);
                self.members_hear(position, conversation_id, actor, event)
                    .await?;
            }
            DomainEvent::ReactionRemoved(change) => {
                let (conversation_id, actor) = (change.conversation_id, Some(change.user_id));
                let event = RealtimeEvent::ReactionRemoved(change);
                self.members_hear(position, conversation_id, actor, event)
                    .await?;
            }
            DomainEvent::ReadMarkerMoved(change) => {
                let (conversation_id, actor) = (change.conversation_id, Some(change.user_id));
                let event = RealtimeEvent::Read(change);
                self.members_hear(position, conversation_id, actor, event)
                    .await?;
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
                        let event = RealtimeEvent::Delivered(MarkerChange {
                            conversation_id,
                            user_id,
                            seq,
                        });
                        self.local(position, others.collect(), &event, false, None)
                            .await;
                    }
                }
            }
            DomainEvent::ConversationCreated {
                conversation_id, ..
            } => {
                let event = RealtimeEvent::ConversationCreated { conversation_id };
                self.members_hear(position, conversation_id, None, event)
                    .await?;
            }
            DomainEvent::ConversationUpdated { conversation_id } => {
                let event = RealtimeEvent::ConversationUpdated { conversation_id };
                self.members_hear(position, conversation_id, None, event)
                    .await?;
            }
            DomainEvent::ConversationDeleted {
                conversation_id,
                participants,
            } => {
                let event = RealtimeEvent::ConversationDeleted { conversation_id };
                self.local(position, participants, &event, true, None).await;
            }
            DomainEvent::ParticipantAdded(change) => {
                let conversation_id = change.conversation_id;
                let event = RealtimeEvent::ParticipantAdded(change);
                self.members_hear(position, conversation_id, None, event)
                    .await?;
            }
            DomainEvent::ParticipantRemoved(change) => {
                // The removed user hears it too, so their client can drop the conversation.
                let mut recipients = self.participants(change.conversation_id).await?;
                recipients.push(change.user_id);
                let event = RealtimeEvent::ParticipantRemoved(change);
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
                let event = RealtimeEvent::CaseUpdated(change.case);
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

    /// The conversation's members hear a durable event, less those who block `actor` (the
    /// user whose act it is, when it is someone's).
    async fn members_hear(
        &self,
        position: i64,
        conversation_id: ConversationId,
        actor: Option<UserId>,
        event: RealtimeEvent,
    ) -> anyhow::Result<()> {
        let mut recipients = self.participants(conversation_id).await?;
        if let Some(actor) = actor {
            recipients = self.unblocked(recipients, actor).await?;
        }
        self.local(position, recipients, &event, true, None).await;
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
    async fn missed(&self, _gap: Gap) {
        self.members.forget_all();
        self.hub.deliver_all(RealtimeEvent::EVENTS_MISSED.frame());
    }
}
