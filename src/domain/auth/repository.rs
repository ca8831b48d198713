use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Account, Login, PasswordHash, Session, SessionPolicy, TokenHash};
use crate::domain::shared::{RepoError, SessionId, UserId};

#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// Stores a new account.
    ///
    /// # Errors
    /// `RepoError::Duplicate("username" | "email")` when either is taken.
    async fn create(&self, account: &Account) -> Result<(), RepoError>;

    async fn find(&self, id: UserId) -> Result<Option<Account>, RepoError>;

    async fn find_by_login(&self, login: &Login) -> Result<Option<Account>, RepoError>;

    async fn find_by_email(
        &self,
        email: &crate::domain::users::Email,
    ) -> Result<Option<Account>, RepoError>;

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
        now: OffsetDateTime,
    ) -> Result<(), RepoError>;
}

/// What presenting a refresh token did.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current: it is spent, `next` is now current, the session slid forward.
    Rotated(Session),
    /// The token had been rotated already: someone replayed it, so its session is now revoked.
    Reused(SessionId),
    /// No such token, or its session is revoked or expired.
    Invalid,
}

#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session with its first refresh token, then revokes the user's oldest live
    /// sessions beyond `policy.max_live_sessions`, atomically.
    async fn create(
        &self,
        session: &Session,
        refresh: &TokenHash,
        policy: &SessionPolicy,
    ) -> Result<(), RepoError>;

    async fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError>;

    /// Live sessions of `user`, newest first.
    async fn list_live(&self, user: UserId, now: OffsetDateTime)
    -> Result<Vec<Session>, RepoError>;

    /// Spends `presented` and makes `next` current, atomically; safe under concurrent use of one
    /// token (exactly one caller rotates, the others see `Reused`).
    async fn rotate(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: OffsetDateTime,
        policy: &SessionPolicy,
    ) -> Result<Rotation, RepoError>;

    /// Revokes one session of `user`; `false` when it is not theirs or not live.
    async fn revoke(
        &self,
        user: UserId,
        id: SessionId,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError>;

    /// Revokes every live session of `user` but `keep`; returns how many.
    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: OffsetDateTime,
    ) -> Result<u64, RepoError>;
}

#[async_trait]
pub trait PasswordResetRepository: Send + Sync {
    async fn create(
        &self,
        user: UserId,
        token: &TokenHash,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), RepoError>;

    /// The user of the token if it is unused and unexpired, without spending it.
    async fn peek(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, RepoError>;

    /// Spends the token if it is unused and unexpired, returning its user; exactly one of several
    /// concurrent callers gets `Some`.
    async fn consume(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, RepoError>;
}
