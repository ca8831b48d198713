//! Who hears each durable event, in the order the event log gives them: one audience rule per
//! event.

use async_trait::async_trait;

use super::dispatch::Dispatcher;
use super::{CaseFrame, DeliveryReceipt, RealtimeEvent};
use crate::application::error::AppError;
use crate::application::events::{EventHandler, Gap, LoggedEvent};
use crate::application::messages::MessageView;
use crate::domain::messages::Message;
use crate::domain::shared::DomainEvent;

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
            DomainEvent::ConversationCreated {
                conversation_id, ..
            } => {
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
        self.members.forget_all();
        self.hub.deliver_all(RealtimeEvent::EVENTS_MISSED.frame());
    }
}
