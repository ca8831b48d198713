//! The newest messages of active conversations, held on every instance so that opening a
//! conversation and scrolling its first pages read no message rows.
//!
//! A window is exact for one state of its conversation, named by `(last_seq,
//! history_version)` (see `Conversation::history_version`). Every read checks membership in
//! the database first and gets that pair with it: a window is served only when it matches, so
//! a change committed on any instance, whose event this one has not read yet, sends the read
//! to the database instead of serving what it replaced. The event log keeps windows current:
//! a new message is appended, anything else that changes sent messages drops the window, and
//! the next read from the database fills it again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use moka::future::Cache;

use crate::application::error::AppError;
use crate::application::events::{EventHandler, Gap, LoggedEvent};
use crate::domain::messages::{HistoryRange, Message, ReactedMessage};
use crate::domain::shared::{ConversationId, DomainEvent};

/// Messages one window holds: the first pages a client opens.
pub const WINDOW: usize = 200;

/// A page served from a window.
pub struct CachedPage {
    pub messages: Vec<ReactedMessage>,
    pub has_more: bool,
}

pub struct RecentMessages {
    windows: Cache<ConversationId, Arc<Mutex<Window>>>,
}

/// The newest messages of one conversation as they are at (`last_seq`, `version`).
struct Window {
    last_seq: i64,
    version: i64,
    /// Ascending, gap-free, ending at `last_seq`.
    messages: VecDeque<ReactedMessage>,
}

impl Window {
    fn first_seq(&self) -> i64 {
        self.last_seq - self.messages.len() as i64 + 1
    }

    fn holds(&self, seq: i64) -> bool {
        seq >= self.first_seq() && seq <= self.last_seq
    }

    fn slice(&self, from: i64, to: i64) -> Vec<ReactedMessage> {
        let skip = (from - self.first_seq()) as usize;
        let take = (to - from + 1).max(0) as usize;
        self.messages
            .iter()
            .skip(skip)
            .take(take)
            .cloned()
            .collect()
    }
}

/// Bytes a window takes once full, roughly (it grows after it is weighed): what moka weighs
/// it by.
fn weight(messages: &VecDeque<ReactedMessage>) -> u32 {
    let bytes: usize = messages
        .iter()
        .map(|m| {
            256 + m.message.content().len()
                + m.reactions
                    .iter()
                    .map(|r| 32 + 16 * r.users.len())
                    .sum::<usize>()
        })
        .sum();
    let per_message = bytes.checked_div(messages.len()).unwrap_or(320);
    u32::try_from(128 + per_message * WINDOW).unwrap_or(u32::MAX)
}

fn lock(window: &Mutex<Window>) -> MutexGuard<'_, Window> {
    // A panic while a window was changed leaves nothing half-done worth keeping it for, but
    // the window is dropped by the next mismatch anyway: keep serving.
    window
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl RecentMessages {
    /// At most `capacity_bytes` of messages, roughly.
    pub fn new(capacity_bytes: u64) -> Self {
        Self {
            windows: Cache::builder()
                .max_capacity(capacity_bytes)
                .weigher(|_, window: &Arc<Mutex<Window>>| weight(&lock(window).messages))
                .build(),
        }
    }

    /// The page `range` reads when the conversation is at (`last_seq`, `version`), if a window
    /// holds all of it. Seqs are gap-free from 1, so whether more lie beyond needs no row.
    pub async fn page(
        &self,
        id: ConversationId,
        (last_seq, version): (i64, i64),
        range: HistoryRange,
    ) -> Option<CachedPage> {
        let window = self.windows.get(&id).await?;
        let window = lock(&window);
        if window.last_seq != last_seq || window.version != version {
            return None;
        }
        let limit = i64::try_from(range.limit).ok()?;
        // The newest seq the range may reach.
        let upper = range
            .before_seq
            .map_or(last_seq, |before| (before - 1).min(last_seq));
        let (from, to, has_more) = match range.after_seq {
            Some(after) => {
                let to = after.saturating_add(limit).min(upper);
                (after + 1, to, to < upper)
            }
            None => {
                let from = (upper - limit + 1).max(1);
                (from, upper, from > 1)
            }
        };
        if from > to {
            return Some(CachedPage {
                messages: Vec::new(),
                has_more: false,
            });
        }
        if !window.holds(from) {
            return None;
        }
        Some(CachedPage {
            messages: window.slice(from, to),
            has_more,
        })
    }

    /// A page just read from the database while the conversation was at (`last_seq`,
    /// `version`): it starts a window when it ends at the newest message, or extends the
    /// window it lies just before.
    pub async fn offer(
        &self,
        id: ConversationId,
        (last_seq, version): (i64, i64),
        page: &[ReactedMessage],
    ) {
        // What was sent after the membership check is left to the log.
        let page: Vec<&ReactedMessage> = page
            .iter()
            .filter(|m| m.message.seq() <= last_seq)
            .collect();
        let gap_free = page
            .windows(2)
            .all(|pair| pair[1].message.seq() == pair[0].message.seq() + 1);
        if !gap_free {
            return;
        }
        if let Some(existing) = self.windows.get(&id).await {
            let mut window = lock(&existing);
            let adjacent = page
                .last()
                .is_some_and(|m| m.message.seq() + 1 == window.first_seq());
            if window.last_seq == last_seq && window.version == version && adjacent {
                for message in page.iter().rev() {
                    if window.messages.len() >= WINDOW {
                        break;
                    }
                    window.messages.push_front((*message).clone());
                }
                return;
            }
        }
        let ends_at_newest = page
            .last()
            .map_or(last_seq == 0, |m| m.message.seq() == last_seq);
        if !ends_at_newest {
            return;
        }
        let skip = page.len().saturating_sub(WINDOW);
        let window = Window {
            last_seq,
            version,
            messages: page.into_iter().skip(skip).cloned().collect(),
        };
        self.windows.insert(id, Arc::new(Mutex::new(window))).await;
    }

    /// A message the log says was stored.
    async fn created(&self, message: &Message) {
        let id = message.conversation_id();
        let Some(window) = self.windows.get(&id).await else {
            return;
        };
        let stale = {
            let mut window = lock(&window);
            // A reply changes its root's count: a window holding the root is not kept.
            let root_held = message
                .reply_to()
                .is_some_and(|root| window.messages.iter().any(|m| m.message.id() == root));
            if message.seq() <= window.last_seq {
                false
            } else if message.seq() == window.last_seq + 1 && !root_held {
                window.messages.push_back(ReactedMessage {
                    message: message.clone(),
                    reactions: Vec::new(),
                });
                window.last_seq = message.seq();
                if window.messages.len() > WINDOW {
                    window.messages.pop_front();
                }
                false
            } else {
                true
            }
        };
        if stale {
            self.windows.invalidate(&id).await;
        }
    }
}

#[async_trait]
impl EventHandler for RecentMessages {
    async fn handle(&self, event: &LoggedEvent) -> Result<(), AppError> {
        match &event.event {
            DomainEvent::MessageCreated { message } => self.created(message).await,
            DomainEvent::MessageUpdated {
                conversation_id, ..
            }
            | DomainEvent::MessageDeleted {
                conversation_id, ..
            }
            | DomainEvent::ReactionAdded {
                conversation_id, ..
            }
            | DomainEvent::ReactionRemoved {
                conversation_id, ..
            }
            | DomainEvent::ConversationDeleted {
                conversation_id, ..
            } => self.windows.invalidate(conversation_id).await,
            _ => {}
        }
        Ok(())
    }

    /// Events this instance never read may have changed any window.
    async fn missed(&self, gap: Gap) {
        tracing::warn!(
            after = gap.after,
            through = gap.through,
            "recent messages dropped"
        );
        self.windows.invalidate_all();
    }
}
