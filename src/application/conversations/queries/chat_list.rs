use std::sync::Arc;

use crate::application::conversations::ConversationsPorts;
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
    profiles: Arc<dyn ProfileRepository>,
}

impl ChatListHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            chat_list: ports.chat_list.clone(),
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
        let mut entries = self.chat_list.chat_list(me, after, limit + 1).await?;
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
}
