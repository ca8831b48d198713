//! The caller's privacy and notification settings, and push devices.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{state, viewer};
use crate::application::users::SettingsChanges;
use crate::domain::notifications::{Device as PushDevice, DeviceId};
use crate::domain::users::{self as domain};
use crate::presentation::http::notifications::RegisterDeviceBody;

/// Who may see something of the caller's, or invite them.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::users::Visibility")]
pub enum Visibility {
    Everyone,
    Contacts,
    Nobody,
}

/// Who may start a direct chat with the caller.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::users::DirectMessagePolicy")]
pub enum DirectMessages {
    Everyone,
    Contacts,
}

#[derive(SimpleObject)]
pub struct Settings {
    presence: Visibility,
    last_seen: Visibility,
    direct_messages: DirectMessages,
    group_invites: Visibility,
    notify_messages: bool,
    notify_mentions: bool,
    notify_contact_requests: bool,
    notify_group_invites: bool,
    /// One e-mail counting unread notifications after a long absence, at most daily.
    email_digest: bool,
}

impl From<domain::Settings> for Settings {
    fn from(s: domain::Settings) -> Self {
        Self {
            presence: s.presence.into(),
            last_seen: s.last_seen.into(),
            direct_messages: s.direct_messages.into(),
            group_invites: s.group_invites.into(),
            notify_messages: s.notifications.messages,
            notify_mentions: s.notifications.mentions,
            notify_contact_requests: s.notifications.contact_requests,
            notify_group_invites: s.notifications.group_invites,
            email_digest: s.notifications.email_digest,
        }
    }
}

/// What to change; what is left out stays.
#[derive(InputObject)]
pub struct SettingsInput {
    presence: Option<Visibility>,
    last_seen: Option<Visibility>,
    direct_messages: Option<DirectMessages>,
    group_invites: Option<Visibility>,
    notify_messages: Option<bool>,
    notify_mentions: Option<bool>,
    notify_contact_requests: Option<bool>,
    notify_group_invites: Option<bool>,
    email_digest: Option<bool>,
}

#[derive(SimpleObject)]
pub struct Device {
    id: Uuid,
    /// `ios`, `android` or `web`.
    platform: String,
    created_at: OffsetDateTime,
}

impl From<PushDevice> for Device {
    fn from(d: PushDevice) -> Self {
        Self {
            id: d.id.as_uuid(),
            platform: d.platform.as_str().to_owned(),
            created_at: d.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct RegisterDevicePayload {
    device: Device,
    /// `false` when the token was registered already.
    created: bool,
}

#[derive(Default)]
pub struct SettingsQuery;

#[Object]
impl SettingsQuery {
    async fn settings(&self, ctx: &Context<'_>) -> Result<Settings> {
        Ok(state(ctx).users.settings.handle(viewer(ctx)?).await?.into())
    }

    /// The caller's devices registered for push.
    async fn devices(&self, ctx: &Context<'_>) -> Result<Vec<Device>> {
        let devices = state(ctx)
            .notifications
            .devices
            .handle(viewer(ctx)?)
            .await?;
        Ok(devices.into_iter().map(Device::from).collect())
    }
}

#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    async fn update_settings(&self, ctx: &Context<'_>, input: SettingsInput) -> Result<Settings> {
        let me = viewer(ctx)?;
        let changes = SettingsChanges {
            presence: input.presence.map(Into::into),
            last_seen: input.last_seen.map(Into::into),
            direct_messages: input.direct_messages.map(Into::into),
            group_invites: input.group_invites.map(Into::into),
            notify_messages: input.notify_messages,
            notify_mentions: input.notify_mentions,
            notify_contact_requests: input.notify_contact_requests,
            notify_group_invites: input.notify_group_invites,
            email_digest: input.email_digest,
        };
        Ok(state(ctx)
            .users
            .update_settings
            .handle(me, changes)
            .await?
            .into())
    }

    /// Register a push token for the caller; a token of another account moves to the caller.
    async fn register_device(
        &self,
        ctx: &Context<'_>,
        platform: String,
        token: String,
    ) -> Result<RegisterDevicePayload> {
        let me = viewer(ctx)?;
        let command = RegisterDeviceBody { platform, token }.into_command()?;
        let register = &state(ctx).notifications.register_device;
        let (device, created) = register.handle(me, command).await?;
        Ok(RegisterDevicePayload {
            device: device.into(),
            created,
        })
    }

    /// Unregister one of the caller's devices: it gets no more pushes.
    async fn remove_device(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let me = viewer(ctx)?;
        let remove = &state(ctx).notifications.remove_device;
        remove.handle(me, DeviceId::from_uuid(id)).await?;
        Ok(true)
    }
}
