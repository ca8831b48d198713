//! Ports the use cases need besides repositories. Adapters live in `infrastructure/`.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::auth::{Password, PasswordHash};
use crate::domain::shared::{RepoError, SessionId, UserId};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// As many hashes wait as may: the caller should come back shortly.
    #[error("password hashing is saturated")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Slow, salted password hashing. Implementations run off the async runtime, a bounded number
/// at a time with a bounded queue.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError>;

    /// Checks `candidate` against `hash`. With no hash it still spends the same time and
    /// answers `false`, so response times do not reveal which accounts exist.
    async fn verify(
        &self,
        candidate: String,
        hash: Option<PasswordHash>,
    ) -> Result<bool, HashError>;
}

/// Who a valid access token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub session_id: SessionId,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: OffsetDateTime,
}

/// Short-lived signed access tokens.
pub trait AccessTokens: Send + Sync {
    fn issue(&self, claims: AccessClaims, now: OffsetDateTime) -> anyhow::Result<AccessToken>;

    /// `None` for anything not issued by `issue` and unexpired: bad signature, other algorithm,
    /// expired, malformed.
    fn verify(&self, token: &str) -> Option<AccessClaims>;
}

/// At most `max` hits per `per`, per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    pub max: u32,
    pub per: Duration,
}

/// Why a rate limiter refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the limit: try again after this long.
    Limited(Duration),
    /// The shared counter cannot be reached and the limiter is set to refuse meanwhile.
    Unavailable,
}

/// Counts hits per key in fixed windows; shared by every instance when backed by Redis.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Records one hit; refused when it is over the limit.
    async fn hit(&self, key: &str, limit: RateLimit) -> Result<(), Refusal> {
        self.hit_by(key, limit, 1).await
    }

    /// Records `cost` hits at once (e.g. a GraphQL operation's cost); refused when they
    /// would take the key over the limit.
    async fn hit_by(&self, key: &str, limit: RateLimit, cost: u32) -> Result<(), Refusal>;

    /// Whether `key` has already used up `limit`, without counting a hit: for limits that
    /// count only failures (a failure is recorded with `hit` afterwards).
    async fn peek(&self, key: &str, limit: RateLimit) -> Result<(), Refusal>;
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> anyhow::Result<()>;
}

/// A dependency that readiness depends on (database, Redis).
#[async_trait]
pub trait HealthCheck: Send + Sync {
    fn name(&self) -> &'static str;
    async fn check(&self) -> anyhow::Result<()>;
}

/// Read-through cache of public profiles, invalidated on every change.
#[async_trait]
pub trait ProfileCache: Send + Sync {
    async fn get(&self, id: UserId) -> Option<crate::domain::users::Profile>;
    async fn put(&self, profile: &crate::domain::users::Profile);
    async fn invalidate(&self, id: UserId);
}

/// Profiles kept from some viewers for a reason another context knows: the agents of a
/// business are hidden from its customers unless it shows agent names.
#[async_trait]
pub trait HiddenProfiles: Send + Sync {
    /// Which of `users` `viewer` may not see.
    async fn hidden_among(
        &self,
        viewer: UserId,
        users: &[UserId],
    ) -> Result<Vec<UserId>, RepoError>;
}
