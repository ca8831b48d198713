use std::sync::Arc;

use super::NotificationsDeps;
use crate::application::error::AppError;
use crate::domain::notifications::{Notification, NotificationId};
use crate::domain::shared::UserId;

/// One page of the inbox, newest first.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub notifications: Vec<Notification>,
    pub unread_count: u64,
    /// Pass as `before` for the next (older) page; `None` on the last.
    pub next_cursor: Option<NotificationId>,
}

/// Which notifications to mark read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkRead {
    Ids(Vec<NotificationId>),
    All,
}

pub struct InboxHandler {
    deps: Arc<NotificationsDeps>,
}

impl InboxHandler {
    pub fn new(deps: Arc<NotificationsDeps>) -> Self {
        Self { deps }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn list(
        &self,
        me: UserId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: u64,
    ) -> Result<InboxPage, AppError> {
        let repo = &self.deps.notifications;
        let mut notifications = repo.list(me, unread_only, before, limit + 1).await?;
        let more = notifications.len() as u64 > limit;
        notifications.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = more.then(|| notifications.last().map(|n| n.id)).flatten();
        Ok(InboxPage {
            notifications,
            unread_count: repo.unread_count(me).await?,
            next_cursor,
        })
    }

    /// Marks notifications read (ids of someone else's are ignored); returns how many changed
    /// and how many stay unread.
    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn mark_read(&self, me: UserId, which: MarkRead) -> Result<(u64, u64), AppError> {
        let repo = &self.deps.notifications;
        let now = self.deps.clock.now();
        let changed = match &which {
            MarkRead::Ids(ids) => repo.mark_read(me, Some(ids), now).await?,
            MarkRead::All => repo.mark_read(me, None, now).await?,
        };
        Ok((changed, repo.unread_count(me).await?))
    }
}
