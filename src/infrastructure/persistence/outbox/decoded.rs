//! The newest events read from the log, decoded once for all of an instance's readers.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::domain::shared::DomainEvent;

/// Events kept, by position.
const KEPT: usize = 4096;

/// Every reader of an instance reads the same rows one after another. A committed position's
/// payload never changes (positions are never reused), so each is decoded once and cloned
/// after (a message's event shares the message).
#[derive(Default)]
pub(super) struct DecodedEvents(Mutex<VecDeque<(i64, DomainEvent)>>);

impl DecodedEvents {
    /// The event stored at `position` as `payload`.
    pub(super) fn get(&self, position: i64, payload: &str) -> serde_json::Result<DomainEvent> {
        let newest = {
            let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Ok(i) = kept.binary_search_by_key(&position, |(p, _)| *p) {
                return Ok(kept[i].1.clone());
            }
            kept.back().map(|(p, _)| *p)
        };
        let event = serde_json::from_str::<DomainEvent>(payload)?;
        // Only the log's front is kept, in order: a reader far behind decodes for itself.
        if newest.is_none_or(|newest| position > newest) {
            let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if kept.back().is_none_or(|(p, _)| position > *p) {
                if kept.len() == KEPT {
                    kept.pop_front();
                }
                kept.push_back((position, event.clone()));
            }
        }
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shared::ConversationId;

    fn payload(event: &DomainEvent) -> String {
        serde_json::to_string(event).unwrap()
    }

    #[test]
    fn a_position_read_again_is_not_decoded_again() {
        let decoded = DecodedEvents::default();
        let event = DomainEvent::ConversationUpdated {
            conversation_id: ConversationId::new(),
        };
        assert_eq!(decoded.get(7, &payload(&event)).unwrap(), event);
        assert_eq!(decoded.get(7, "not decoded").unwrap(), event);
    }

    #[test]
    fn only_the_newest_positions_are_kept() {
        let decoded = DecodedEvents::default();
        let event = DomainEvent::ConversationUpdated {
            conversation_id: ConversationId::new(),
        };
        decoded.get(10, &payload(&event)).unwrap();
        // Behind the front: decoded each time.
        decoded.get(3, &payload(&event)).unwrap();
        assert!(decoded.get(3, "not decoded").is_err());
        for position in 11..11 + KEPT as i64 {
            decoded.get(position, &payload(&event)).unwrap();
        }
        assert!(decoded.get(10, "not decoded").is_err(), "the oldest went");
        assert!(decoded.get(10 + KEPT as i64, "not decoded").is_ok());
    }
}
