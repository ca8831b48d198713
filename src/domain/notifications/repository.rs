use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Device, DeviceId, Notification, NotificationId};
use crate::domain::shared::{DomainEvent, RepoError, UserId};

#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// Stores `notification` with the events in `announce`; `false` (and nothing recorded)
    /// when the user has one with its dedupe key already.
    async fn insert(
        &self,
        notification: &Notification,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    /// `user`'s notifications, newest first, older than `before`.
    async fn list(
        &self,
        user: UserId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: u64,
    ) -> Result<Vec<Notification>, RepoError>;

    async fn unread_count(&self, user: UserId) -> Result<u64, RepoError>;

    /// Marks `ids` (all unread ones with `None`) of `user` read; returns how many changed.
    async fn mark_read(
        &self,
        user: UserId,
        ids: Option<&[NotificationId]>,
        now: OffsetDateTime,
    ) -> Result<u64, RepoError>;
}

#[async_trait]
pub trait DeviceRepository: Send + Sync {
    /// Registers `device`, or moves its token to `device.user_id`; returns the stored device
    /// and whether it is new.
    async fn register(&self, device: &Device) -> Result<(Device, bool), RepoError>;

    async fn remove(&self, user: UserId, id: DeviceId) -> Result<bool, RepoError>;

    async fn list(&self, user: UserId) -> Result<Vec<Device>, RepoError>;

    /// Records that `notification` is pushed to `device`; `false` when it was already, so a
    /// replayed event pushes nothing twice.
    async fn claim_push(
        &self,
        notification: NotificationId,
        device: DeviceId,
    ) -> Result<bool, RepoError>;
}
