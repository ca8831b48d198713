use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Dispatcher, RealtimeEvent};
use crate::application::error::AppError;
use crate::domain::shared::{ConversationId, UserId};

/// The typing use case: `typing.start` and `typing.stop`, and indicators that run out.
#[derive(Clone)]
pub struct Typing {
    tracker: Arc<TypingTracker>,
    dispatcher: Dispatcher,
}

impl Typing {
    pub fn new(ttl: Duration, dispatcher: Dispatcher) -> Self {
        Self {
            tracker: Arc::new(TypingTracker::new(ttl)),
            dispatcher,
        }
    }

    /// `me` starts or stops typing in a conversation they are in; the others hear of a change
    /// only (a repeated start prolongs the indicator silently).
    pub async fn set(
        &self,
        me: UserId,
        conversation_id: ConversationId,
        typing: bool,
    ) -> Result<(), AppError> {
        if !self.dispatcher.is_member(conversation_id, me).await? {
            return Err(AppError::NotFound("conversation_not_found"));
        }
        let changed = if typing {
            self.tracker.start(conversation_id, me, Instant::now())
        } else {
            self.tracker.stop(conversation_id, me)
        };
        if changed {
            self.announce(conversation_id, me, typing).await;
        }
        Ok(())
    }

    async fn announce(&self, conversation_id: ConversationId, user_id: UserId, typing: bool) {
        let expires_in = if typing {
            self.tracker.ttl
        } else {
            Duration::ZERO
        };
        let event = RealtimeEvent::Typing {
            conversation_id,
            user_id,
            typing,
            expires_in_ms: expires_in.as_millis() as u64,
        };
        self.dispatcher
            .send_to_conversation(conversation_id, user_id, &event)
            .await;
    }

    /// Announces the end of indicators whose last start is too old, every `period`.
    pub async fn expire_every(self, period: Duration) {
        let mut ticker = tokio::time::interval(period);
        loop {
            ticker.tick().await;
            for (conversation_id, user_id) in self.tracker.expire(Instant::now()) {
                self.announce(conversation_id, user_id, false).await;
            }
        }
    }
}

/// Who is typing where, on this instance (the typist's connection lives here). An indicator
/// expires `ttl` after the last `start`.
pub struct TypingTracker {
    active: Mutex<HashMap<(ConversationId, UserId), Instant>>,
    ttl: Duration,
}

impl TypingTracker {
    pub fn new(ttl: Duration) -> Self {
        Self {
            active: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// Starts or prolongs; `true` when the user was not typing there yet.
    pub fn start(&self, conversation: ConversationId, user: UserId, now: Instant) -> bool {
        self.lock()
            .insert((conversation, user), now + self.ttl)
            .is_none()
    }

    /// `true` when the user was typing there.
    pub fn stop(&self, conversation: ConversationId, user: UserId) -> bool {
        self.lock().remove(&(conversation, user)).is_some()
    }

    /// Removes and returns the indicators that ran out.
    pub fn expire(&self, now: Instant) -> Vec<(ConversationId, UserId)> {
        let mut active = self.lock();
        let expired: Vec<_> = active
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(key, _)| *key)
            .collect();
        for key in &expired {
            active.remove(key);
        }
        expired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(ConversationId, UserId), Instant>> {
        self.active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_expire_after_the_last_start() {
        let tracker = TypingTracker::new(Duration::from_secs(5));
        let (c, u) = (ConversationId::new(), UserId::new());
        let t0 = Instant::now();
        assert!(tracker.start(c, u, t0));
        assert!(
            !tracker.start(c, u, t0 + Duration::from_secs(3)),
            "a repeat only prolongs"
        );
        assert!(tracker.expire(t0 + Duration::from_secs(6)).is_empty());
        assert_eq!(tracker.expire(t0 + Duration::from_secs(8)), [(c, u)]);
        assert!(!tracker.stop(c, u));
    }
}
