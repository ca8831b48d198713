use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;

use super::NotificationsPorts;
use crate::application::conversations::{MEMBER_LISTS_CACHED, Members};
use crate::application::error::AppError;
use crate::application::events::{EventHandler, Gap, LoggedEvent};
use crate::application::ports::Clock;
use crate::application::realtime::{PresenceStatus, PresenceStore};
use crate::application::users::Relationships;
use crate::domain::conversations::ParticipantRepository;
use crate::domain::messages::{Message, MessageKind};
use crate::domain::notifications::{Notification, NotificationKind, NotificationRepository};
use crate::domain::shared::{DomainEvent, MemberChange, UserId};
use crate::domain::users::{NotificationPreferences, SettingsRepository};

/// Creates notifications from the event log. Each notification is keyed by what caused it (the
/// message, or the event's position), so a replayed event notifies nobody twice: exactly one
/// notification per trigger and recipient.
pub struct NotificationsSubscriber {
    notifications: Arc<dyn NotificationRepository>,
    participants: Arc<dyn ParticipantRepository>,
    settings: Arc<dyn SettingsRepository>,
    relationships: Relationships,
    presence: Arc<dyn PresenceStore>,
    clock: Arc<dyn Clock>,
    members: Members,
}

impl NotificationsSubscriber {
    pub fn new(ports: &NotificationsPorts) -> Self {
        Self {
            notifications: ports.notifications.clone(),
            participants: ports.participants.clone(),
            settings: ports.settings.clone(),
            relationships: ports.relationships.clone(),
            presence: ports.presence.clone(),
            clock: ports.clock.clone(),
            members: Members::new(ports.participants.clone(), MEMBER_LISTS_CACHED),
        }
    }
}

#[async_trait]
impl EventHandler for NotificationsSubscriber {
    /// The lists may lack changes made while another instance held this consumer.
    async fn started(&self, _position: i64) {
        self.members.forget_all();
    }

    async fn missed(&self, _gap: Gap) {
        self.members.forget_all();
    }

    async fn handle(&self, logged: &LoggedEvent) -> Result<(), AppError> {
        let now = self.clock.now();
        let position = logged.position;
        self.members.apply(&logged.event).await;
        match &logged.event {
            DomainEvent::MessageCreated { message } => self.on_message(message).await,
            DomainEvent::ContactRequested { from, to } => {
                let n = Notification::new(*to, NotificationKind::ContactRequest, *from, now);
                self.notify(n.caused_by(position)).await
            }
            DomainEvent::ContactAccepted { by, requester } => {
                let n = Notification::new(*requester, NotificationKind::ContactAccepted, *by, now);
                self.notify(n.caused_by(position)).await
            }
            DomainEvent::ParticipantAdded(MemberChange {
                conversation_id,
                user_id,
                by,
            }) if user_id != by => {
                let n =
                    Notification::new(*user_id, NotificationKind::AddedToConversation, *by, now)
                        .about_conversation(*conversation_id);
                self.notify(n.caused_by(position)).await
            }
            _ => Ok(()),
        }
    }
}

impl NotificationsSubscriber {
    /// Mentioned participants hear of it; the others only while they have no live connection,
    /// and not when it reached one of their devices already (this reader may run behind: the
    /// recipient was online when it was sent and went offline since).
    /// Nobody hears of their own messages or of conversations they muted, nor of the
    /// server's system messages (they tell the customer of their case, who is their sender).
    /// Members come from the cached list; who muted is read only when someone is to be told.
    async fn on_message(&self, message: &Message) -> Result<(), AppError> {
        if message.is_deleted() || message.kind() == MessageKind::System {
            return Ok(());
        }
        let conversation = message.conversation_id();
        let members = self.members.of(conversation).await?;
        let recipients: Vec<UserId> = members
            .iter()
            .copied()
            .filter(|user| *user != message.sender_id())
            .collect();
        let mentioned: HashSet<UserId> = message.mentions().iter().copied().collect();
        let unmentioned: Vec<UserId> = recipients
            .iter()
            .copied()
            .filter(|u| !mentioned.contains(u))
            .collect();
        let offline: HashSet<UserId> = if unmentioned.is_empty() {
            HashSet::new()
        } else {
            self.presence
                .get(&unmentioned)
                .await
                .into_iter()
                .filter(|(_, status, _)| *status == PresenceStatus::Offline)
                .map(|(user, _, _)| user)
                .collect()
        };
        let told: Vec<(UserId, NotificationKind)> = recipients
            .into_iter()
            .filter_map(|user| {
                if mentioned.contains(&user) {
                    Some((user, NotificationKind::Mention))
                } else {
                    offline
                        .contains(&user)
                        .then_some((user, NotificationKind::Message))
                }
            })
            .collect();
        if told.is_empty() {
            return Ok(());
        }
        let participants = self.participants.participants(conversation).await?;
        let muted: HashSet<UserId> = (participants.iter())
            .filter(|p| p.muted)
            .map(|p| p.user_id)
            .collect();
        let received: HashSet<UserId> = (participants.iter())
            .filter(|p| p.delivered_seq >= message.seq())
            .map(|p| p.user_id)
            .collect();
        let now = self.clock.now();
        for (user, kind) in told {
            if !still_told(kind, muted.contains(&user), received.contains(&user)) {
                continue;
            }
            let n = Notification::new(user, kind, message.sender_id(), now)
                .about_message(message.conversation_id(), message.id());
            self.notify(n).await?;
        }
        Ok(())
    }

    /// Stores `n` if its recipient wants it and has not blocked its cause, with the event that
    /// tells their live connections and their devices.
    async fn notify(&self, n: Notification) -> Result<(), AppError> {
        let preferences = self.settings.get(n.user_id).await?.notifications;
        if !wanted(n.kind, preferences)
            || self
                .relationships
                .is_blocked_by(n.user_id, n.actor_id)
                .await?
        {
            return Ok(());
        }
        let created = DomainEvent::NotificationCreated {
            notification: Arc::new(n.clone()),
        };
        self.notifications.insert(&n, &[created]).await?;
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

/// Whether a recipient picked to hear of a message as `kind` is told: not in a muted
/// conversation, and not of a plain message that reached one of their devices already.
fn still_told(kind: NotificationKind, muted: bool, received: bool) -> bool {
    let plain_and_received = kind == NotificationKind::Message && received;
    !(muted || plain_and_received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_received_message_is_not_told_but_a_mention_is_and_muting_silences_both() {
        use NotificationKind::{Mention, Message};
        assert!(still_told(Message, false, false));
        assert!(
            !still_told(Message, false, true),
            "reached a device already"
        );
        assert!(still_told(Mention, false, true));
        assert!(!still_told(Message, true, false));
        assert!(!still_told(Mention, true, false));
    }

    #[test]
    fn each_kind_follows_its_own_preference() {
        let all = NotificationPreferences {
            messages: true,
            mentions: true,
            contact_requests: true,
            group_invites: true,
            email_digest: false,
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
