use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Device, DeviceId, Notification, NotificationId, NotificationKind};
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

/// E-mail digests: who is due one, what it says, and the claim that keeps it to one per
/// period across instances.
#[async_trait]
pub trait DigestRepository: Send + Sync {
    /// Users who opted in and hold unread notifications created at or before `quiet_since`
    /// that no digest told them of yet, and whose last digest (if any) went out at or before
    /// `period_start`; in user id order, at most `limit`.
    async fn due(
        &self,
        quiet_since: OffsetDateTime,
        period_start: OffsetDateTime,
        limit: u64,
    ) -> Result<Vec<UserId>, RepoError>;

    /// `user`'s unread notifications, counted by kind.
    async fn unread_by_kind(&self, user: UserId)
    -> Result<Vec<(NotificationKind, u64)>, RepoError>;

    /// Records a digest to `user` at `now`; `false` when one went out after `period_start`
    /// (another instance's), so this one must not.
    async fn claim(
        &self,
        user: UserId,
        now: OffsetDateTime,
        period_start: OffsetDateTime,
    ) -> Result<bool, RepoError>;
}
