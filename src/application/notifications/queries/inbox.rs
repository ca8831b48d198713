use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::notifications::NotificationsPorts;
use crate::domain::notifications::{Notification, NotificationId, NotificationRepository};
use crate::domain::shared::UserId;

/// One page of the inbox, newest first.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub notifications: Vec<Notification>,
    pub unread_count: u64,
    /// Pass as `before` for the next (older) page; `None` on the last.
    pub next_cursor: Option<NotificationId>,
}

/// The caller's notifications, newest first, with how many are unread.
pub struct InboxHandler {
    notifications: Arc<dyn NotificationRepository>,
}

impl InboxHandler {
    pub fn new(ports: &NotificationsPorts) -> Self {
        Self {
            notifications: ports.notifications.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(
        &self,
        me: UserId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: u64,
    ) -> Result<InboxPage, AppError> {
        let repo = &self.notifications;
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
}
