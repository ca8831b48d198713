//! The notifications inbox.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use time::OffsetDateTime;
use uuid::Uuid;

use super::messages::page_size;
use super::users::{User, shown};
use super::{state, viewer};
use crate::application::notifications::NotificationView;
use crate::domain::notifications::NotificationId;
use crate::presentation::http::notifications::MarkReadBody;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::notifications::NotificationKind")]
pub enum NotificationKind {
    /// Someone mentioned the user in a message.
    Mention,
    /// A message arrived while the user had no live connection.
    Message,
    ContactRequest,
    ContactAccepted,
    /// Someone added the user to a group or channel.
    AddedToConversation,
}

pub struct Notification(pub NotificationView);

#[Object]
impl Notification {
    async fn id(&self) -> Uuid {
        self.0.id.as_uuid()
    }
    async fn kind(&self) -> NotificationKind {
        self.0.kind.into()
    }
    /// Who caused it.
    async fn actor_id(&self) -> Uuid {
        self.0.actor_id.as_uuid()
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        shown(ctx, self.0.actor_id).await
    }
    async fn conversation_id(&self) -> Option<Uuid> {
        self.0.conversation_id.map(|id| id.as_uuid())
    }
    async fn message_id(&self) -> Option<Uuid> {
        self.0.message_id.map(|id| id.as_uuid())
    }
    async fn created_at(&self) -> OffsetDateTime {
        self.0.created_at
    }
    async fn read_at(&self) -> Option<OffsetDateTime> {
        self.0.read_at
    }
    async fn read(&self) -> bool {
        self.0.read
    }
}

/// What the inbox holds beside the page.
#[derive(SimpleObject)]
pub struct InboxCounts {
    /// Unread notifications in all.
    unread_count: u64,
}

#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// How many changed.
    updated: u64,
    unread_count: u64,
}

#[derive(Default)]
pub struct NotificationsQuery;

#[Object]
impl NotificationsQuery {
    /// The inbox, newest first.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] unread_only: bool,
        #[graphql(desc = "1 to 100, default 50.")] first: Option<i32>,
        after: Option<Uuid>,
    ) -> Result<Connection<Uuid, Notification, InboxCounts>> {
        let me = viewer(ctx)?;
        let limit = page_size("first", first, 50)?;
        let page = state(ctx)
            .notifications
            .inbox
            .handle(me, unread_only, after.map(NotificationId::from_uuid), limit)
            .await?;
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            page.next_cursor.is_some(),
            InboxCounts {
                unread_count: page.unread_count,
            },
        );
        connection.edges.extend(
            page.notifications
                .into_iter()
                .map(|n| Edge::new(n.id.as_uuid(), Notification(NotificationView::from(&n)))),
        );
        Ok(connection)
    }
}

#[derive(Default)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Mark some notifications read (`ids`, at most 100), or all of them (`all: true`).
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<Uuid>>,
        #[graphql(default)] all: bool,
    ) -> Result<MarkNotificationsReadPayload> {
        let me = viewer(ctx)?;
        let which = MarkReadBody { ids, all }.into_command()?;
        let (updated, unread_count) = state(ctx).notifications.mark_read.handle(me, which).await?;
        Ok(MarkNotificationsReadPayload {
            updated,
            unread_count,
        })
    }
}
