//! The newest messages of active conversations, held on every instance so that opening a
//! conversation and scrolling its first pages read no message rows.
//!
//! A window is exact for one state of its conversation, named by `(last_seq,
//! history_version)` (see `Conversation::history_version`). A read checks membership in the
//! database first and gets that pair with it: a window is served only when it matches, so
//! a change committed on any instance, whose event this one has not read yet, sends the read
//! to the database instead of serving what it replaced. The event log keeps windows current:
//! a new message is appended, anything else that changes sent messages drops the window, and
//! the next read from the database fills it again.
//!
//! Where this instance is the database's only writer (SQLite), a window that has once matched
//! the database's state is exact for as long as the log keeps it, and it names the members
//! who read it through the database and have not been removed since: while the local reader
//! has handled every event this instance committed, they are served with no statement.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;

use crate::application::error::AppError;
use crate::application::events::{EventHandler, Gap, Horizon, LoggedEvent};
use crate::application::ports::Clock;
use crate::domain::messages::{HistoryRange, HistoryState, Message, ReactedMessage};
use crate::domain::shared::{
    ConversationId, DomainEvent, MemberChange, MessageChange, ReactionChange, UserId,
};

mod window;
use window::{Window, lock, weight};

/// Messages one window holds: the first pages a client opens.
pub const WINDOW: usize = 200;

/// Members one window names as its readers; beyond them, reads check membership.
const READERS: usize = 1024;

/// A page served from a window.
pub struct CachedPage {
    pub messages: Vec<ReactedMessage>,
    pub has_more: bool,
}

pub struct RecentMessages {
    windows: Cache<ConversationId, Arc<Mutex<Window>>>,
    sole: Option<SoleWriter>,
    /// Rises before any member loses access, so that a membership read before the loss is
    /// not admitted after it.
    removals: AtomicU64,
    /// Rises after each window's insertion, to tell a state read after it from one before.
    insertions: AtomicU64,
}

/// What lets a window's readers be served without a statement: a database only this
/// instance writes, and a horizon telling when the local reader holds all its writes.
pub struct SoleWriter {
    pub horizon: Arc<Horizon>,
    pub clock: Arc<dyn Clock>,
    /// Older messages are erased by the retention job, which logs no event.
    pub retention: Option<Duration>,
}

/// A window found for one read, kept for its later steps.
pub struct Held(Arc<Mutex<Window>>);

/// Taken before a read from the database, so that `page` can tell whether the state it read
/// came after a window's insertion, and `admit` whether a removal came between.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    removals: u64,
    insertions: u64,
}

impl RecentMessages {
    /// At most `capacity_bytes` of messages, roughly; `sole` where this instance is the
    /// database's only writer.
    pub fn new(capacity_bytes: u64, sole: Option<SoleWriter>) -> Self {
        Self {
            windows: Cache::builder()
                .max_capacity(capacity_bytes)
                .weigher(|_, window: &Arc<Mutex<Window>>| weight(&lock(window).messages))
                .build(),
            sole,
            removals: AtomicU64::new(0),
            insertions: AtomicU64::new(0),
        }
    }

    /// The page `range` reads from `held` when the conversation is at `state`, read after
    /// `admission` was taken, if the window is at that state. A window is exact for its state
    /// even once the log has dropped it, so the one found before the read serves.
    pub fn page(
        &self,
        held: &Held,
        state: HistoryState,
        range: HistoryRange,
        admission: Admission,
    ) -> Option<CachedPage> {
        let mut window = lock(&held.0);
        if window.last_seq != state.last_seq || window.version != state.version {
            return None;
        }
        if admission.insertions >= window.born {
            window.trusted = true;
        }
        window.page(range)
    }

    /// The page `range` reads for `reader`, with no statement, when this instance is the
    /// only writer, its reader has handled all it wrote, and `reader` was admitted.
    pub async fn page_for(
        &self,
        reader: UserId,
        id: ConversationId,
        range: HistoryRange,
    ) -> Option<CachedPage> {
        let sole = self.sole.as_ref()?;
        // First: the window read after it holds every write acknowledged before it.
        if !sole.horizon.reached() {
            return None;
        }
        let window = self.windows.get(&id).await?;
        let page = {
            let window = lock(&window);
            if !window.trusted || !window.readers.contains(&reader) {
                return None;
            }
            window.page(range)?
        };
        if let Some(retention) = sole.retention {
            let cutoff = sole.clock.now() - retention;
            if page
                .messages
                .iter()
                .any(|m| m.message.created_at() < cutoff)
            {
                return None;
            }
        }
        Some(page)
    }

    /// The window holding the page `range` reads as the window stands: worth checking
    /// membership alone first, rather than reading the page with it.
    pub async fn holding(&self, id: ConversationId, range: HistoryRange) -> Option<Held> {
        let window = self.windows.get(&id).await?;
        let holds = lock(&window).bounds(range).is_some();
        holds.then_some(Held(window))
    }

    /// To take before reading `reader`'s membership for `admit`.
    pub fn admission(&self) -> Admission {
        Admission {
            removals: self.removals.load(Ordering::SeqCst),
            insertions: self.insertions.load(Ordering::SeqCst),
        }
    }

    /// `reader` was found a member after `admission` was taken: unless a removal was handled
    /// since, later reads may skip the check.
    pub async fn admit(&self, id: ConversationId, reader: UserId, admission: Admission) {
        if self.sole.is_none() {
            return;
        }
        let Some(window) = self.windows.get(&id).await else {
            return;
        };
        let mut window = lock(&window);
        // Under the window's lock: a removal handled after this check finds the reader in.
        if self.removals.load(Ordering::SeqCst) == admission.removals
            && window.readers.len() < READERS
        {
            window.readers.insert(reader);
        }
    }

    /// `user` left `id`, or was removed.
    async fn removed(&self, id: ConversationId, user: UserId) {
        self.removals.fetch_add(1, Ordering::SeqCst);
        if let Some(window) = self.windows.get(&id).await {
            lock(&window).readers.remove(&user);
        }
    }

    /// A page just read from the database while the conversation was at `state`: it starts a
    /// window when it ends at the newest message, or extends the window it lies just before.
    pub async fn offer(&self, id: ConversationId, state: HistoryState, page: &[ReactedMessage]) {
        let HistoryState { last_seq, version } = state;
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
            trusted: false,
            born: u64::MAX,
            readers: HashSet::new(),
        };
        let window = Arc::new(Mutex::new(window));
        self.windows.insert(id, window.clone()).await;
        // After the insert: a state read once this count is seen was read after it.
        let born = self.insertions.fetch_add(1, Ordering::SeqCst) + 1;
        lock(&window).born = born;
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
            DomainEvent::MessageUpdated(MessageChange {
                conversation_id, ..
            })
            | DomainEvent::MessageDeleted(MessageChange {
                conversation_id, ..
            })
            | DomainEvent::ReactionAdded(ReactionChange {
                conversation_id, ..
            })
            | DomainEvent::ReactionRemoved(ReactionChange {
                conversation_id, ..
            })
            | DomainEvent::ConversationDeleted {
                conversation_id, ..
            } => self.windows.invalidate(conversation_id).await,
            DomainEvent::ParticipantRemoved(MemberChange {
                conversation_id,
                user_id,
                ..
            }) => self.removed(*conversation_id, *user_id).await,
            _ => {}
        }
        Ok(())
    }

    /// Events this instance never read may have changed any window.
    async fn missed(&self, _gap: Gap) {
        self.removals.fetch_add(1, Ordering::SeqCst);
        self.windows.invalidate_all();
    }
}
