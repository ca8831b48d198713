use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::notifications::NotificationsPorts;
use crate::application::ports::Clock;
use crate::domain::notifications::{NotificationId, NotificationRepository};
use crate::domain::shared::UserId;

/// Which notifications to mark read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkRead {
    Ids(Vec<NotificationId>),
    All,
}

/// Marks notifications read (ids of someone else's are ignored); returns how many changed and
/// how many stay unread.
pub struct MarkReadHandler {
    notifications: Arc<dyn NotificationRepository>,
    clock: Arc<dyn Clock>,
}

impl MarkReadHandler {
    pub fn new(ports: &NotificationsPorts) -> Self {
        Self {
            notifications: ports.notifications.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(&self, me: UserId, which: MarkRead) -> Result<(u64, u64), AppError> {
        let repo = &self.notifications;
        let now = self.clock.now();
        let changed = match &which {
            MarkRead::Ids(ids) => repo.mark_read(me, Some(ids), now).await?,
            MarkRead::All => repo.mark_read(me, None, now).await?,
        };
        Ok((changed, repo.unread_count(me).await?))
    }
}
