use std::sync::Arc;

use uuid::Uuid;

use crate::application::auth::AuthPorts;
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::domain::auth::{Activity, ActivityRepository};

/// One page of the caller's account activity, newest first.
pub struct ActivityPage {
    pub items: Vec<Activity>,
    /// Pass as `before` for the next (older) page; `None` at the end.
    pub next: Option<Uuid>,
}

/// The caller's account activity, newest first.
pub struct ActivityHandler {
    activity: Arc<dyn ActivityRepository>,
}

impl ActivityHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            activity: ports.activity.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(
        &self,
        caller: AccessClaims,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<ActivityPage, AppError> {
        let mut items = self
            .activity
            .list(caller.user_id, before, limit + 1)
            .await?;
        let next = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|a| a.id)
        } else {
            None
        };
        Ok(ActivityPage { items, next })
    }
}
