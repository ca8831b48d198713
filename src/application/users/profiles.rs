use std::sync::Arc;

use super::UsersDeps;
use crate::application::error::AppError;
use crate::domain::attachments::AvatarOf;
use crate::domain::shared::UserId;
use crate::domain::users::{Email, Profile, ProfileChanges, SearchPage};

/// The caller's own profile, with what only they may see.
#[derive(Debug, Clone)]
pub struct SelfView {
    pub profile: Profile,
    pub email: Email,
}

pub struct SearchUsers {
    /// Lowercased, non-empty prefix.
    pub prefix: String,
    pub after: Option<String>,
    pub limit: u64,
}

pub struct ProfilesHandler(Arc<UsersDeps>);

impl ProfilesHandler {
    pub fn new(deps: Arc<UsersDeps>) -> Self {
        Self(deps)
    }

    /// A profile through the cache.
    pub(super) async fn load(deps: &UsersDeps, id: UserId) -> Result<Option<Profile>, AppError> {
        if let Some(profile) = deps.cache.get(id).await {
            return Ok(Some(profile));
        }
        let profile = deps.profiles.find(id).await?;
        if let Some(profile) = &profile {
            deps.cache.put(profile).await;
        }
        Ok(profile)
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn me(&self, me: UserId) -> Result<SelfView, AppError> {
        let account = self
            .0
            .accounts
            .find(me)
            .await?
            .ok_or(AppError::NotFound("user_not_found"))?;
        let profile = Self::load(&self.0, me)
            .await?
            .ok_or(AppError::NotFound("user_not_found"))?;
        Ok(SelfView {
            profile,
            email: account.user.email,
        })
    }

    /// Someone's public profile. Whoever blocked the viewer does not exist for them, nor
    /// does an agent for the customers of a business that keeps agents' names to itself.
    #[tracing::instrument(skip_all, fields(user_id = %viewer, %id))]
    pub async fn get(&self, viewer: UserId, id: UserId) -> Result<Profile, AppError> {
        if viewer != id
            && (self.0.blocks.has_blocked(id, viewer).await?
                || !self.0.hidden.hidden_among(viewer, &[id]).await?.is_empty())
        {
            return Err(AppError::NotFound("user_not_found"));
        }
        Self::load(&self.0, id)
            .await?
            .ok_or(AppError::NotFound("user_not_found"))
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn update(&self, me: UserId, changes: ProfileChanges) -> Result<SelfView, AppError> {
        let mut view = self.me(me).await?;
        if let Some(to) = changes.avatar_id {
            let current = view.profile.avatar_id;
            self.0
                .avatars
                .change(me, AvatarOf::User(me), current, to)
                .await?;
        }
        if !changes.is_empty() {
            changes.apply(&mut view.profile);
            self.0
                .profiles
                .update(&view.profile, self.0.clock.now())
                .await?;
            self.0.cache.invalidate(me).await;
        }
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(user_id = %viewer))]
    pub async fn search(&self, viewer: UserId, query: SearchUsers) -> Result<SearchPage, AppError> {
        Ok(self
            .0
            .profiles
            .search(viewer, &query.prefix, query.after.as_deref(), query.limit)
            .await?)
    }

    /// The profiles shown beside messages and members: people who share a conversation with
    /// the viewer, so no block rule applies (as in the chat list). Unknown ids are left out,
    /// and so are agents kept from their customers.
    pub async fn shown_beside(
        &self,
        viewer: UserId,
        ids: &[UserId],
    ) -> Result<Vec<Profile>, AppError> {
        let hidden = self.0.hidden.hidden_among(viewer, ids).await?;
        let mut profiles = self.0.profiles.find_many(ids).await?;
        profiles.retain(|p| p.id == viewer || !hidden.contains(&p.id));
        Ok(profiles)
    }
}
