//! The chat list's order, held on every instance, so that a page sorts its user's
//! conversations in memory instead of probing an index once per membership.
//!
//! Each user's conversation ids and each conversation's last activity are read from the
//! database once, with the event log position committed when they were read, and then kept by
//! the log: a new message raises its conversation's activity (activity only ever rises, in the
//! database too, so events may be applied in any order); a membership change or a deleted
//! conversation drops the lists of the users it names. A page chosen here is exact for every
//! event up to this instance's reader position. The statement that reads the page's rows also
//! reads the log's newest position; the handler serves the page only when the reader had
//! already handled it, so a change committed on any instance and not yet read here sends the
//! page to the database instead.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::application::error::AppError;
use crate::application::events::{EventHandler, Gap, LoggedEvent};
use crate::domain::conversations::{Activity, AsOfLog, ChatListCursor};
use crate::domain::shared::{ConversationId, DomainEvent, MemberChange, UserId};

/// Conversation ids of a page chosen in memory, exact for every event up to `position`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedPage {
    pub ids: Vec<ConversationId>,
    pub position: i64,
}

pub struct ChatOrder {
    state: RwLock<State>,
    capacity: usize,
}

#[derive(Default)]
struct State {
    /// Every event up to here has been applied; `None` until the reader starts.
    position: Option<i64>,
    activity: HashMap<ConversationId, OffsetDateTime>,
    members: HashMap<UserId, Member>,
    /// Ids held in `members`, all users together.
    held: usize,
}

struct Member {
    conversations: Arc<[ConversationId]>,
    /// The log position the list was read at: it holds every event up to it.
    read_at: i64,
}

impl State {
    fn forget(&mut self, user: UserId) {
        if let Some(member) = self.members.remove(&user) {
            self.held -= member.conversations.len();
        }
    }

    /// Drops `user`'s list unless it was read after the event at `position`.
    fn changed(&mut self, user: UserId, position: i64) {
        if self
            .members
            .get(&user)
            .is_some_and(|member| member.read_at < position)
        {
            self.forget(user);
        }
    }

    fn forget_everyone(&mut self) {
        self.members.clear();
        self.held = 0;
    }

    fn clear(&mut self) {
        self.forget_everyone();
        self.activity.clear();
    }
}

/// The `limit` newest of `conversations` after `cursor`, by (activity, id) descending, as
/// the database orders them.
pub fn choose(
    mut conversations: Vec<Activity>,
    cursor: Option<ChatListCursor>,
    limit: usize,
) -> Vec<ConversationId> {
    let key = |a: &Activity| (a.last_activity_at, a.id);
    if let Some(c) = cursor {
        conversations.retain(|a| key(a) < (c.last_activity_at, c.id));
    }
    let newest_first = |a: &Activity, b: &Activity| key(b).cmp(&key(a));
    if conversations.len() > limit && limit > 0 {
        conversations.select_nth_unstable_by(limit - 1, newest_first);
    }
    conversations.truncate(limit);
    conversations.sort_unstable_by(newest_first);
    conversations.into_iter().map(|a| a.id).collect()
}

impl ChatOrder {
    /// At most `capacity` memberships held, all users together (with the activity of as many
    /// conversations, ~64 bytes each); past it, everything is dropped and read again as it is
    /// asked for. 0 holds nothing: every page is sorted in the database.
    pub fn new(capacity: usize) -> Self {
        Self {
            state: RwLock::default(),
            capacity,
        }
    }

    // A panic while the state changed cannot leave it half-applied in a way a read would
    // trust more than the database: keep serving.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The page of `user`'s conversations after `cursor`, when their list is held.
    pub fn page(
        &self,
        user: UserId,
        cursor: Option<ChatListCursor>,
        limit: usize,
    ) -> Option<OrderedPage> {
        let state = self.read();
        let position = state.position?;
        let member = state.members.get(&user)?;
        let mut held = Vec::with_capacity(member.conversations.len());
        for id in member.conversations.iter() {
            held.push(Activity {
                id: *id,
                last_activity_at: *state.activity.get(id)?,
            });
        }
        Some(OrderedPage {
            ids: choose(held, cursor, limit),
            position,
        })
    }

    /// Keeps `user`'s conversations as read from the database, unless this instance has
    /// already handled an event newer than the read (the list may lack its change).
    pub fn keep(&self, user: UserId, read: &AsOfLog<Vec<Activity>>) {
        let Some(read_at) = read.log_head else {
            return;
        };
        let mut state = self.write();
        if state.position.is_none_or(|position| position > read_at) {
            return;
        }
        state.forget(user);
        if state.held + read.value.len() > self.capacity || state.activity.len() > self.capacity {
            tracing::debug!(held = state.held, "chat list order full; emptied");
            state.clear();
        }
        for a in &read.value {
            let at = state.activity.entry(a.id).or_insert(a.last_activity_at);
            *at = (*at).max(a.last_activity_at);
        }
        state.held += read.value.len();
        let conversations = read.value.iter().map(|a| a.id).collect();
        state.members.insert(
            user,
            Member {
                conversations,
                read_at,
            },
        );
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Drops `user`'s list: the database disagreed with it.
    pub fn forget(&self, user: UserId) {
        self.write().forget(user);
    }

    fn apply(&self, position: i64, event: &DomainEvent) {
        let mut state = self.write();
        match event {
            DomainEvent::MessageCreated { message } => {
                if let Some(at) = state.activity.get_mut(&message.conversation_id()) {
                    *at = (*at).max(message.created_at());
                }
            }
            // Events logged before they carried their members name nobody: drop every list.
            DomainEvent::ConversationCreated { members, .. } if members.is_empty() => {
                state.forget_everyone();
            }
            DomainEvent::ConversationCreated { members, .. } => {
                for user in members {
                    state.changed(*user, position);
                }
            }
            DomainEvent::ParticipantAdded(MemberChange { user_id, .. })
            | DomainEvent::ParticipantRemoved(MemberChange { user_id, .. }) => {
                state.changed(*user_id, position)
            }
            DomainEvent::ConversationDeleted {
                conversation_id,
                participants,
            } => {
                for user in participants {
                    state.changed(*user, position);
                }
                state.activity.remove(conversation_id);
            }
            _ => {}
        }
        state.position = Some(position);
    }
}

#[async_trait]
impl EventHandler for ChatOrder {
    async fn handle(&self, event: &LoggedEvent) -> Result<(), AppError> {
        self.apply(event.position, &event.event);
        Ok(())
    }

    /// Events this instance never read may have changed any list.
    async fn missed(&self, gap: Gap) {
        let mut state = self.write();
        state.clear();
        state.position = Some(gap.through);
    }

    async fn started(&self, position: i64) {
        let mut state = self.write();
        state.clear();
        state.position = Some(position);
    }
}

#[cfg(test)]
#[path = "chat_order_tests.rs"]
mod tests;
