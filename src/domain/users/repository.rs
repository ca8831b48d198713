use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{
    Contact, KeyBundle, KeyStatus, OneTimePrekey, Profile, PublicKey, Settings, SignedPrekey,
};
use crate::domain::shared::{DomainEvent, RepoError, UserId};

/// One page of a user search, ordered by username.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub profiles: Vec<Profile>,
    /// The username to continue after, when more may follow.
    pub next_after: Option<String>,
}

#[async_trait]
pub trait ProfileRepository: Send + Sync {
    async fn find(&self, id: UserId) -> Result<Option<Profile>, RepoError>;

    /// The profiles of those of `ids` that exist, in no particular order.
    async fn find_many(&self, ids: &[UserId]) -> Result<Vec<Profile>, RepoError>;

    async fn update(&self, profile: &Profile, now: OffsetDateTime) -> Result<(), RepoError>;

    /// Users whose username or display name starts with `prefix` (lowercase), ordered by
    /// username, after `after`; never `viewer` nor anyone who blocked `viewer`.
    async fn search(
        &self,
        viewer: UserId,
        prefix: &str,
        after: Option<&str>,
        limit: u64,
    ) -> Result<SearchPage, RepoError>;
}

#[async_trait]
pub trait SettingsRepository: Send + Sync {
    /// The user's settings; defaults when never saved.
    async fn get(&self, user: UserId) -> Result<Settings, RepoError>;

    /// The settings of each of `users` that saved any, in one read; the others have the
    /// defaults.
    async fn get_many(&self, users: &[UserId]) -> Result<HashMap<UserId, Settings>, RepoError>;

    async fn save(
        &self,
        user: UserId,
        settings: &Settings,
        now: OffsetDateTime,
    ) -> Result<(), RepoError>;
}

#[async_trait]
pub trait ContactRepository: Send + Sync {
    /// The relation between `me` and `other`, seen from `me`.
    async fn between(&self, me: UserId, other: UserId) -> Result<Option<Contact>, RepoError>;

    /// Records a pending request from `from` to `to`, with the events in `announce`.
    ///
    /// # Errors
    /// `RepoError::Duplicate("contact")` when any relation between them exists already.
    async fn request(
        &self,
        from: UserId,
        to: UserId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError>;

    /// Accepts a pending request that `requester` sent to `me`, with the events in `announce`;
    /// `false` when there is none.
    async fn accept(
        &self,
        me: UserId,
        requester: UserId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    /// Removes any relation between the two (contact, request either way); `false` when none.
    async fn remove(&self, me: UserId, other: UserId) -> Result<bool, RepoError>;

    /// Every relation of `me`, newest first.
    async fn list(&self, me: UserId) -> Result<Vec<Contact>, RepoError>;
}

#[async_trait]
pub trait BlockRepository: Send + Sync {
    /// Blocks `blocked` for `blocker` and removes any contact relation between them,
    /// atomically. Blocking twice is not an error.
    async fn block(
        &self,
        blocker: UserId,
        blocked: UserId,
        now: OffsetDateTime,
    ) -> Result<(), RepoError>;

    /// `false` when there was no such block.
    async fn unblock(&self, blocker: UserId, blocked: UserId) -> Result<bool, RepoError>;

    /// Who `blocker` blocked, and since when, newest first.
    async fn list(&self, blocker: UserId) -> Result<Vec<(UserId, OffsetDateTime)>, RepoError>;

    /// Who blocked `blocked`.
    async fn blockers(&self, blocked: UserId) -> Result<Vec<UserId>, RepoError>;

    /// Whether `blocker` blocked `blocked`.
    async fn has_blocked(&self, blocker: UserId, blocked: UserId) -> Result<bool, RepoError>;

    /// Whether either blocked the other.
    async fn either_blocked(&self, a: UserId, b: UserId) -> Result<bool, RepoError>;
}

#[async_trait]
pub trait KeyRepository: Send + Sync {
    /// Replaces the identity key, the signed prekey and (when given) the fallback prekey, and
    /// adds the one-time prekeys (an id uploaded again replaces the earlier key of that id).
    async fn save(
        &self,
        user: UserId,
        identity_key: &PublicKey,
        signed_prekey: &SignedPrekey,
        fallback_prekey: Option<&SignedPrekey>,
        one_time_prekeys: &[OneTimePrekey],
        now: OffsetDateTime,
    ) -> Result<(), RepoError>;

    /// The user's bundle, claiming (deleting) one one-time prekey. Concurrent callers never
    /// receive the same prekey. `None` when the user never uploaded keys.
    async fn claim_bundle(&self, user: UserId) -> Result<Option<KeyBundle>, RepoError>;

    /// How many one-time prekeys the user has left, and whether a fallback is there; `None`
    /// when the user never uploaded keys.
    async fn status(&self, user: UserId) -> Result<Option<KeyStatus>, RepoError>;
}
