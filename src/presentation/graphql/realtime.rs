//! Typing and presence: what the chat socket's commands do, for GraphQL clients.

use async_graphql::{Context, Object, Result};
use uuid::Uuid;

use super::events::Presence;
use super::{state, viewer};
use crate::application::error::AppError;
use crate::application::realtime::PresenceStatus;
use crate::domain::shared::{ConversationId, UserId};

#[derive(Default)]
pub struct RealtimeQuery;

#[Object]
impl RealtimeQuery {
    /// The presence of up to 200 users, as each one's settings let the caller see it.
    async fn presence(&self, ctx: &Context<'_>, user_ids: Vec<Uuid>) -> Result<Vec<Presence>> {
        let me = viewer(ctx)?;
        if user_ids.len() > 200 {
            return Err(AppError::invalid("user_ids", "at most 200 users").into());
        }
        let users: Vec<UserId> = user_ids.into_iter().map(UserId::from_uuid).collect();
        let views = state(ctx).realtime.presence.query(me, &users).await?;
        Ok(views.into_iter().map(Presence::from).collect())
    }
}

#[derive(Default)]
pub struct RealtimeMutation;

#[Object]
impl RealtimeMutation {
    /// Start or stop typing; the others see it for a few seconds unless it is repeated.
    async fn set_typing(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        typing: bool,
    ) -> Result<bool> {
        let me = viewer(ctx)?;
        let id = ConversationId::from_uuid(conversation_id);
        state(ctx).realtime.typing.set(me, id, typing).await?;
        Ok(typing)
    }

    /// Mark the caller away (or back online) on their live connections.
    async fn set_away(&self, ctx: &Context<'_>, away: bool) -> Result<bool> {
        let me = viewer(ctx)?;
        let (state, now) = (state(ctx), state(ctx).clock.now());
        let realtime = &state.realtime;
        realtime.presence.store().set_away(me, away).await;
        let status = if away {
            PresenceStatus::Away
        } else {
            PresenceStatus::Online
        };
        let dispatcher = &realtime.dispatcher;
        realtime
            .presence
            .announce(dispatcher, me, status, now)
            .await;
        Ok(away)
    }
}
