//! The viewer, users (profiles and search), and blocks.

use std::collections::HashMap;

use actix_web::web;
use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{state, viewer};
use crate::application::error::AppError;
use crate::application::users::{SearchUsers, SelfView};
use crate::domain::shared::UserId;
use crate::domain::users::Profile;
use crate::presentation::http::AppState;

/// Someone's public profile.
pub struct User(pub Profile);

#[Object]
impl User {
    async fn id(&self) -> Uuid {
        self.0.id.as_uuid()
    }
    async fn username(&self) -> &str {
        self.0.username.as_str()
    }
    async fn display_name(&self) -> &str {
        self.0.display_name.as_str()
    }
    async fn bio(&self) -> &str {
        self.0.bio.as_str()
    }
    async fn status_text(&self) -> &str {
        self.0.status_text.as_str()
    }
    /// Fetch with `GET /api/v1/attachments/{id}`.
    async fn avatar_id(&self) -> Option<Uuid> {
        self.0.avatar_id
    }
    async fn created_at(&self) -> OffsetDateTime {
        self.0.created_at
    }
}

/// The signed-in user.
pub struct Viewer {
    profile: Profile,
    email: String,
}

impl From<SelfView> for Viewer {
    fn from(view: SelfView) -> Self {
        Self {
            profile: view.profile,
            email: view.email.as_str().to_owned(),
        }
    }
}

#[Object]
impl Viewer {
    async fn user(&self) -> User {
        User(self.profile.clone())
    }
    async fn email(&self) -> &str {
        &self.email
    }
}

/// Loads the profiles shown beside messages and members in one statement per batch.
pub struct ProfileLoader(web::Data<AppState>);

impl ProfileLoader {
    pub fn new(state: web::Data<AppState>) -> Self {
        Self(state)
    }
}

/// Keyed by (viewer, user): what a viewer may see of others depends on who they are (an
/// agent is hidden from the customers of a business that keeps agents' names to itself).
impl Loader<(UserId, UserId)> for ProfileLoader {
    type Value = Profile;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(UserId, UserId)]) -> Result<HashMap<(UserId, UserId), Profile>> {
        let mut found = HashMap::new();
        let mut viewers: Vec<UserId> = keys.iter().map(|(viewer, _)| *viewer).collect();
        viewers.sort();
        viewers.dedup();
        for viewer in viewers {
            let ids: Vec<UserId> = keys
                .iter()
                .filter(|(v, _)| *v == viewer)
                .map(|(_, id)| *id)
                .collect();
            let profiles = self.0.users.shown_beside.handle(viewer, &ids).await?;
            found.extend(profiles.into_iter().map(|p| ((viewer, p.id), p)));
        }
        Ok(found)
    }
}

/// A user met through a message or a membership, batched across the whole response.
pub async fn shown(ctx: &Context<'_>, id: UserId) -> Result<Option<User>> {
    let loader = ctx.data_unchecked::<DataLoader<ProfileLoader>>();
    let me = viewer(ctx)?;
    Ok(loader.load_one((me, id)).await?.map(User))
}

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The signed-in user.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        Ok(state(ctx)
            .users
            .own_profile
            .handle(viewer(ctx)?)
            .await?
            .into())
    }

    /// Someone's profile (`user_not_found` when they blocked the caller).
    async fn user(&self, ctx: &Context<'_>, id: Uuid) -> Result<User> {
        let profile = state(ctx)
            .users
            .profile
            .handle(viewer(ctx)?, UserId::from_uuid(id))
            .await?;
        Ok(User(profile))
    }

    /// Users whose username or display name starts with `query`.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(desc = "1 to 100, default 50.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, User>> {
        let me = viewer(ctx)?;
        let prefix = query.trim().to_lowercase();
        if prefix.is_empty() || query.chars().count() > 64 {
            return Err(AppError::invalid("query", "must be 1 to 64 characters long").into());
        }
        let limit = super::messages::page_size("first", first, 50)?;
        let after = match after {
            Some(raw) => Some(
                URL_SAFE_NO_PAD
                    .decode(&raw)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| AppError::invalid("after", "is not a cursor from this API"))?,
            ),
            None => None,
        };
        let has_previous = after.is_some();
        let search = SearchUsers {
            prefix,
            after,
            limit,
        };
        let page = state(ctx).users.search.handle(me, search).await?;
        let mut connection = Connection::new(has_previous, page.next_after.is_some());
        connection.edges.extend(
            page.profiles
                .into_iter()
                .map(|p| Edge::new(URL_SAFE_NO_PAD.encode(p.username.as_str()), User(p))),
        );
        Ok(connection)
    }

    /// The users the caller has blocked.
    async fn blocked_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let blocked = state(ctx).users.blocked.handle(viewer(ctx)?).await?;
        Ok(blocked.into_iter().map(|(p, _)| User(p)).collect())
    }
}

#[derive(Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// Block a user (also when already blocked).
    async fn block_user(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let me = viewer(ctx)?;
        state(ctx)
            .users
            .block
            .handle(me, UserId::from_uuid(id))
            .await?;
        Ok(true)
    }

    /// Take a block back (`block_not_found` when there was none).
    async fn unblock_user(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let me = viewer(ctx)?;
        state(ctx)
            .users
            .unblock
            .handle(me, UserId::from_uuid(id))
            .await?;
        Ok(true)
    }
}
