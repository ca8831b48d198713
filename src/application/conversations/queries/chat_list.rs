use std::sync::Arc;

use crate::application::conversations::ConversationsPorts;
use crate::application::conversations::chat_order::{ChatOrder, OrderedPage, choose};
use crate::application::error::AppError;
use crate::domain::conversations::{ChatListCursor, ChatListEntry, ChatListQueries};
use crate::domain::shared::UserId;
use crate::domain::users::{Profile, ProfileRepository};

pub struct ChatList {
    pub entries: Vec<ChatListEntry>,
    /// Profiles of the other side of each direct chat on the page.
    pub profiles: Vec<Profile>,
    pub next: Option<ChatListCursor>,
}

/// The caller's conversations by last activity, with previews and unread counts.
pub struct ChatListHandler {
    chat_list: Arc<dyn ChatListQueries>,
    order: Arc<ChatOrder>,
    profiles: Arc<dyn ProfileRepository>,
}

impl ChatListHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            chat_list: ports.chat_list.clone(),
            order: ports.chat_order.clone(),
            profiles: ports.profiles.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(
        &self,
        me: UserId,
        after: Option<ChatListCursor>,
        limit: u64,
    ) -> Result<ChatList, AppError> {
        let mut entries = match self.ordered_in_memory(me, after, limit + 1).await? {
            Some(entries) => {
                metrics::counter!("chat_list_pages_total", "source" => "memory").increment(1);
                entries
            }
            None => {
                metrics::counter!("chat_list_pages_total", "source" => "database").increment(1);
                self.chat_list.chat_list(me, after, limit + 1).await?
            }
        };
        let more = entries.len() as u64 > limit;
        entries.truncate(limit as usize);
        let others: Vec<UserId> = entries.iter().filter_map(|e| e.other_user).collect();
        let profiles = self.profiles.find_many(&others).await?;
        let next = more
            .then(|| {
                entries.last().map(|e| ChatListCursor {
                    last_activity_at: e.conversation.last_activity_at,
                    id: e.conversation.id,
                })
            })
            .flatten();
        Ok(ChatList {
            entries,
            profiles,
            next,
        })
    }

    /// The page ordered in memory (the user's list read first when not held), its rows read
    /// by id; `None` when the rows show a change this instance has not handled yet.
    async fn ordered_in_memory(
        &self,
        me: UserId,
        after: Option<ChatListCursor>,
        limit: u64,
    ) -> Result<Option<Vec<ChatListEntry>>, AppError> {
        if !self.order.enabled() {
            return Ok(None);
        }
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let page = match self.order.page(me, after, limit) {
            Some(page) => page,
            None => {
                let read = self.chat_list.activity_of_member(me).await?;
                self.order.keep(me, &read);
                let Some(position) = read.log_head else {
                    return Ok(None);
                };
                OrderedPage {
                    ids: choose(read.value, after, limit),
                    position,
                }
            }
        };
        let rows = self.chat_list.chat_rows(me, &page.ids).await?;
        if rows.log_head.is_none_or(|head| head > page.position) {
            return Ok(None);
        }
        let same = rows.value.len() == page.ids.len()
            && rows
                .value
                .iter()
                .zip(&page.ids)
                .all(|(row, id)| row.conversation.id == *id);
        if !same {
            // Nothing the log says explains it (a change made without an event): read again.
            tracing::warn!(user_id = %me, "chat list order differs from the database; dropped");
            self.order.forget(me);
            return Ok(None);
        }
        Ok(Some(rows.value))
    }
}
