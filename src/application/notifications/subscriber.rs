use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::broadcast;

use super::{NotificationsDeps, PushOutcome};
use crate::application::error::AppError;
use crate::application::realtime::PresenceStatus;
use crate::domain::messages::Message;
use crate::domain::notifications::{Notification, NotificationKind};
use crate::domain::shared::{DomainEvent, UserId};
use crate::domain::users::NotificationPreferences;

/// Creates notifications from committed domain events. Each event is published once, on the
/// instance where it happened, and a message gives each recipient at most one notification
/// (storage refuses a second), so every trigger notifies exactly once.
pub struct NotificationsSubscriber {
    deps: Arc<NotificationsDeps>,
}

impl NotificationsSubscriber {
    pub fn new(deps: Arc<NotificationsDeps>) -> Self {
        Self { deps }
    }

    /// Consumes the domain event bus until it closes.
    pub async fn run(self, mut events: broadcast::Receiver<DomainEvent>) {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(error) = self.handle(&event).await {
                        tracing::warn!(%error, "notification not created");
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "notifications fell behind the event bus");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    pub async fn handle(&self, event: &DomainEvent) -> Result<(), AppError> {
        let now = self.deps.clock.now();
        match event {
            DomainEvent::MessageCreated { message } => self.on_message(message).await,
            DomainEvent::ContactRequested { from, to } => {
                let n = Notification::new(*to, NotificationKind::ContactRequest, *from, now);
                self.notify(n).await
            }
            DomainEvent::ContactAccepted { by, requester } => {
                let n = Notification::new(*requester, NotificationKind::ContactAccepted, *by, now);
                self.notify(n).await
            }
            DomainEvent::ParticipantAdded {
                conversation_id,
                user_id,
                by,
            } if user_id != by => {
                let n =
                    Notification::new(*user_id, NotificationKind::AddedToConversation, *by, now)
                        .about_conversation(*conversation_id);
                self.notify(n).await
            }
            _ => Ok(()),
        }
    }

    /// Mentioned participants hear of it; the others only while they have no live connection.
    /// Nobody hears of their own messages or of conversations they muted.
    async fn on_message(&self, message: &Message) -> Result<(), AppError> {
        if message.is_deleted() {
            return Ok(());
        }
        let deps = &self.deps;
        let recipients: Vec<UserId> = deps
            .conversations
            .participants(message.conversation_id)
            .await?
            .into_iter()
            .filter(|p| p.user_id != message.sender_id && !p.muted)
            .map(|p| p.user_id)
            .collect();
        let mentioned: HashSet<UserId> = message.mentions.iter().copied().collect();
        let unmentioned: Vec<UserId> = recipients
            .iter()
            .copied()
            .filter(|u| !mentioned.contains(u))
            .collect();
        let offline: HashSet<UserId> = if unmentioned.is_empty() {
            HashSet::new()
        } else {
            deps.presence
                .get(&unmentioned)
                .await
                .into_iter()
                .filter(|(_, status, _)| *status == PresenceStatus::Offline)
                .map(|(user, _, _)| user)
                .collect()
        };
        let now = deps.clock.now();
        for user in recipients {
            let kind = if mentioned.contains(&user) {
                NotificationKind::Mention
            } else if offline.contains(&user) {
                NotificationKind::Message
            } else {
                continue;
            };
            let n = Notification::new(user, kind, message.sender_id, now)
                .about_message(message.conversation_id, message.id);
            self.notify(n).await?;
        }
        Ok(())
    }

    /// Stores `n` if its recipient wants it and has not blocked its cause, then tells their
    /// live connections (through the event bus) and their devices.
    async fn notify(&self, n: Notification) -> Result<(), AppError> {
        let deps = &self.deps;
        let preferences = deps.settings.get(n.user_id).await?.notifications;
        if !wanted(n.kind, preferences)
            || deps
                .relationships
                .is_blocked_by(n.user_id, n.actor_id)
                .await?
        {
            return Ok(());
        }
        if !deps.notifications.insert(&n).await? {
            return Ok(());
        }
        let n = Arc::new(n);
        deps.events.publish(DomainEvent::NotificationCreated {
            notification: n.clone(),
        });
        if let Some(push) = deps.push.clone() {
            let devices = deps.devices.list(n.user_id).await?;
            let registry = deps.devices.clone();
            // Pushes retry with backoff: they must not hold up the next event.
            tokio::spawn(async move {
                for device in devices {
                    match push.push(&device, &n).await {
                        Ok(PushOutcome::Delivered) => {}
                        Ok(PushOutcome::Unregistered) => {
                            tracing::info!(device_id = %device.id, "push token gone; device removed");
                            if let Err(error) = registry.remove(device.user_id, device.id).await {
                                tracing::warn!(%error, device_id = %device.id, "dead device kept");
                            }
                        }
                        Err(error) => {
                            tracing::warn!(%error, device_id = %device.id, "push given up");
                        }
                    }
                }
            });
        }
        Ok(())
    }
}

/// Whether the recipient's preferences allow a notification of `kind`.
fn wanted(kind: NotificationKind, preferences: NotificationPreferences) -> bool {
    match kind {
        NotificationKind::Mention => preferences.mentions,
        NotificationKind::Message => preferences.messages,
        NotificationKind::ContactRequest | NotificationKind::ContactAccepted => {
            preferences.contact_requests
        }
        NotificationKind::AddedToConversation => preferences.group_invites,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_follows_its_own_preference() {
        let all = NotificationPreferences {
            messages: true,
            mentions: true,
            contact_requests: true,
            group_invites: true,
        };
        let cases = [
            (
                NotificationKind::Mention,
                NotificationPreferences {
                    mentions: false,
                    ..all
                },
            ),
            (
                NotificationKind::Message,
                NotificationPreferences {
                    messages: false,
                    ..all
                },
            ),
            (
                NotificationKind::ContactRequest,
                NotificationPreferences {
                    contact_requests: false,
                    ..all
                },
            ),
            (
                NotificationKind::ContactAccepted,
                NotificationPreferences {
                    contact_requests: false,
                    ..all
                },
            ),
            (
                NotificationKind::AddedToConversation,
                NotificationPreferences {
                    group_invites: false,
                    ..all
                },
            ),
        ];
        for (kind, without) in cases {
            assert!(wanted(kind, all), "{kind:?} with everything on");
            assert!(!wanted(kind, without), "{kind:?} with its preference off");
        }
    }
}
