//! The caller's profile and contacts.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use time::OffsetDateTime;
use uuid::Uuid;

use super::users::{User, Viewer};
use super::{state, viewer};
use crate::application::users::ContactView;
use crate::domain::shared::UserId;
use crate::domain::users::ContactStatus;
use crate::presentation::http::users::UpdateProfileBody;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ContactState {
    /// Both agreed.
    Accepted,
    /// They asked the caller.
    Incoming,
    /// The caller asked them.
    Outgoing,
}

#[derive(SimpleObject)]
pub struct Contact {
    user: User,
    state: ContactState,
    since: OffsetDateTime,
}

impl From<ContactView> for Contact {
    fn from(view: ContactView) -> Self {
        Self {
            user: User(view.profile),
            state: match view.status {
                ContactStatus::Accepted => ContactState::Accepted,
                ContactStatus::Incoming => ContactState::Incoming,
                ContactStatus::Outgoing => ContactState::Outgoing,
            },
            since: view.since,
        }
    }
}

#[derive(SimpleObject)]
pub struct Contacts {
    contacts: Vec<Contact>,
    /// Requests to the caller, waiting for an answer.
    incoming: Vec<Contact>,
    /// The caller's requests, waiting for an answer.
    outgoing: Vec<Contact>,
}

#[derive(InputObject)]
pub struct UpdateProfileInput {
    display_name: Option<String>,
    bio: Option<String>,
    status_text: Option<String>,
    /// An upload of the caller's (`POST /api/v1/attachments`); `null` removes the picture.
    avatar_id: MaybeUndefined<Uuid>,
}

/// Left out: unchanged (`None`); `null`: removed (`Some(None)`).
pub(super) fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

#[derive(Default)]
pub struct ContactsQuery;

#[Object]
impl ContactsQuery {
    /// The caller's contacts and pending requests.
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Contacts> {
        let list = state(ctx).users.contacts.handle(viewer(ctx)?).await?;
        let map = |views: Vec<ContactView>| views.into_iter().map(Contact::from).collect();
        Ok(Contacts {
            contacts: map(list.contacts),
            incoming: map(list.incoming),
            outgoing: map(list.outgoing),
        })
    }
}

#[derive(Default)]
pub struct ContactsMutation;

#[Object]
impl ContactsMutation {
    /// Change the caller's profile; what is left out stays.
    async fn update_profile(&self, ctx: &Context<'_>, input: UpdateProfileInput) -> Result<Viewer> {
        let me = viewer(ctx)?;
        let body = UpdateProfileBody {
            display_name: input.display_name,
            bio: input.bio,
            status_text: input.status_text,
            avatar_id: maybe(input.avatar_id),
        };
        let changes = body.into_changes()?;
        let view = state(ctx).users.update_profile.handle(me, changes).await?;
        Ok(Viewer::from(view))
    }

    /// Ask someone to become a contact; when they asked first, this accepts.
    async fn request_contact(&self, ctx: &Context<'_>, user_id: Uuid) -> Result<Contact> {
        let me = viewer(ctx)?;
        let other = UserId::from_uuid(user_id);
        Ok(state(ctx)
            .users
            .request_contact
            .handle(me, other)
            .await?
            .into())
    }

    async fn accept_contact(&self, ctx: &Context<'_>, user_id: Uuid) -> Result<Contact> {
        let me = viewer(ctx)?;
        let other = UserId::from_uuid(user_id);
        Ok(state(ctx)
            .users
            .accept_contact
            .handle(me, other)
            .await?
            .into())
    }

    /// Remove a contact, decline a request or withdraw one.
    async fn remove_contact(&self, ctx: &Context<'_>, user_id: Uuid) -> Result<bool> {
        let me = viewer(ctx)?;
        let other = UserId::from_uuid(user_id);
        state(ctx).users.remove_contact.handle(me, other).await?;
        Ok(true)
    }
}
