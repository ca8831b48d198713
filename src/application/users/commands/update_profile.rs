use std::sync::Arc;

use crate::application::attachments::Avatars;
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::{CachedProfiles, SelfView, UsersPorts};
use crate::domain::attachments::AvatarOf;
use crate::domain::auth::AccountRepository;
use crate::domain::shared::UserId;
use crate::domain::users::ProfileChanges;

/// Changes the caller's display name, bio or avatar.
pub struct UpdateProfileHandler {
    accounts: Arc<dyn AccountRepository>,
    profiles: CachedProfiles,
    avatars: Avatars,
    clock: Arc<dyn Clock>,
}

impl UpdateProfileHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            accounts: ports.accounts.clone(),
            profiles: CachedProfiles::new(ports),
            avatars: ports.avatars.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(&self, me: UserId, changes: ProfileChanges) -> Result<SelfView, AppError> {
        let mut view = SelfView::read(self.accounts.as_ref(), &self.profiles, me).await?;
        if let Some(to) = changes.avatar_id {
            let current = view.profile.avatar_id;
            self.avatars
                .change(me, AvatarOf::User(me), current, to)
                .await?;
        }
        if !changes.is_empty() {
            changes.apply(&mut view.profile);
            self.profiles.save(&view.profile, self.clock.now()).await?;
        }
        Ok(view)
    }
}
