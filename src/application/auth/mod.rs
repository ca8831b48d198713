//! Auth use cases: registration, sign-in, token refresh, sessions, password change and reset.

pub mod commands;
mod live_sessions;
pub mod queries;

use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::{
    AccessClaims, AccessToken, AccessTokens, Clock, Mailer, PasswordHasher, RateLimit, RateLimiter,
};
use crate::domain::auth::{
    AccountRepository, Activity, ActivityKind, ActivityRepository, Device, OpaqueToken,
    PasswordHash, PasswordResetRepository, Session, SessionPolicy, SessionRepository,
};
use crate::domain::shared::{SessionId, UserId};
use crate::domain::users::User;

pub use live_sessions::LiveSessions;

/// What the auth handlers are built from; each keeps only the ports it uses.
pub struct AuthPorts {
    pub accounts: Arc<dyn AccountRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub resets: Arc<dyn PasswordResetRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn AccessTokens>,
    pub limiter: Arc<dyn RateLimiter>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub policy: AuthPolicy,
    pub activity: Arc<dyn ActivityRepository>,
}

/// Tunables of the auth context, from configuration.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub sessions: SessionPolicy,
    pub reset_token_ttl: time::Duration,
    pub login_per_account: RateLimit,
    pub login_per_ip: RateLimit,
    pub register_per_ip: RateLimit,
    pub forgot_per_ip: RateLimit,
    pub reset_per_ip: RateLimit,
    pub forgot_per_email: RateLimit,
}

/// Where a request came from: the device the session is opened for.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub device: Device,
}

impl ClientInfo {
    /// The client's network for rate limits: its IPv4 address, or its IPv6 /64 (one
    /// subscriber's usual allocation, so hopping addresses within it does not help).
    fn ip_key(&self) -> String {
        network_key(self.device.ip.as_deref())
    }
}

fn network_key(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Some(ip) => ip.to_string(),
        None => "unknown".to_owned(),
    }
}

/// What a successful sign-in hands the client.
#[derive(Debug, Clone)]
pub struct AuthGrant {
    pub user: User,
    pub session_id: SessionId,
    pub access: AccessToken,
    pub refresh_token: OpaqueToken,
    pub refresh_expires_at: time::OffsetDateTime,
}

/// Opens sessions and hands out their tokens.
#[derive(Clone)]
struct SessionIssuer {
    sessions: Arc<dyn SessionRepository>,
    tokens: Arc<dyn AccessTokens>,
    clock: Arc<dyn Clock>,
    policy: SessionPolicy,
}

impl SessionIssuer {
    fn new(ports: &AuthPorts) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            tokens: ports.tokens.clone(),
            clock: ports.clock.clone(),
            policy: ports.policy.sessions,
        }
    }

    async fn start(&self, user: User, device: Device) -> Result<AuthGrant, AppError> {
        let now = self.clock.now();
        let session = Session::start(user.id, device, now, &self.policy);
        let refresh_token = OpaqueToken::generate();
        self.sessions
            .create(&session, &refresh_token.hash(), &self.policy)
            .await?;
        self.grant(user, &session, refresh_token)
    }

    fn grant(
        &self,
        user: User,
        session: &Session,
        refresh_token: OpaqueToken,
    ) -> Result<AuthGrant, AppError> {
        let claims = AccessClaims {
            user_id: user.id,
            session_id: session.id,
        };
        let access = self.tokens.issue(claims, self.clock.now())?;
        Ok(AuthGrant {
            user,
            session_id: session.id,
            access,
            refresh_token,
            refresh_expires_at: session.expires_at,
        })
    }
}

/// The owner's account activity log.
#[derive(Clone)]
struct ActivityLog {
    activity: Arc<dyn ActivityRepository>,
    clock: Arc<dyn Clock>,
}

impl ActivityLog {
    fn new(ports: &AuthPorts) -> Self {
        Self {
            activity: ports.activity.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Adds to the owner's activity log. Best effort: the action stands if the log fails.
    async fn note(
        &self,
        user: UserId,
        kind: ActivityKind,
        client: &ClientInfo,
        session: Option<SessionId>,
    ) {
        let activity = Activity::new(user, kind, client.device.clone(), session, self.clock.now());
        if let Err(error) = self.activity.record(&activity).await {
            tracing::warn!(%error, kind = kind.as_str(), "activity not recorded");
        }
    }
}

/// Password checks, refused while too many have failed.
#[derive(Clone)]
struct PasswordCheck {
    accounts: Arc<dyn AccountRepository>,
    hasher: Arc<dyn PasswordHasher>,
    limiter: Arc<dyn RateLimiter>,
    per_account: RateLimit,
}

impl PasswordCheck {
    fn new(ports: &AuthPorts) -> Self {
        Self {
            accounts: ports.accounts.clone(),
            hasher: ports.hasher.clone(),
            limiter: ports.limiter.clone(),
            per_account: ports.policy.login_per_account,
        }
    }

    /// Checks `password` against `hash` (`None`: no such account, at the same cost), refused
    /// while `failures` has failed `login_per_account` times. Only a failure counts, so nobody
    /// else's failures lock out a client that is not failing.
    async fn verify(
        &self,
        failures: String,
        password: String,
        hash: Option<PasswordHash>,
    ) -> Result<bool, AppError> {
        let (key, limit) = (failures, self.per_account);
        self.limiter.peek(&key, limit).await?;
        let verified = self.hasher.verify(password, hash).await?;
        if !verified {
            // Counted even past the limit's edge: the answer to this attempt stays 401/403.
            let _ = self.limiter.hit(&key, limit).await;
        }
        Ok(verified)
    }

    /// Re-authentication for sensitive actions. Failures count per session, so a thief
    /// guessing with a stolen session cannot stop the owner from revoking it.
    async fn confirm(&self, caller: AccessClaims, password: String) -> Result<(), AppError> {
        let account = self.accounts.find(caller.user_id).await?;
        let hash = account.map(|a| a.password_hash);
        let failures = format!("confirm-failed:{}:{}", caller.user_id, caller.session_id);
        if self.verify(failures, password, hash).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden("invalid_password"))
        }
    }
}

/// Counts one request against `limit` under `key`.
async fn spend(limiter: &dyn RateLimiter, key: String, limit: RateLimit) -> Result<(), AppError> {
    Ok(limiter.hit(&key, limit).await?)
}

/// Every auth handler, built once at startup.
pub struct AuthHandlers {
    pub authenticate: queries::Authenticate,
    pub register: commands::RegisterHandler,
    pub login: commands::LoginHandler,
    pub refresh: commands::RefreshHandler,
    pub logout: commands::LogoutHandler,
    pub sessions: queries::SessionListHandler,
    pub activity: queries::ActivityHandler,
    pub revoke_session: commands::RevokeSessionHandler,
    pub revoke_other_sessions: commands::RevokeOtherSessionsHandler,
    pub change_password: commands::ChangePasswordHandler,
    pub forgot_password: commands::ForgotPasswordHandler,
    pub reset_password: commands::ResetPasswordHandler,
}

impl AuthHandlers {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            authenticate: queries::Authenticate::new(ports),
            activity: queries::ActivityHandler::new(ports),
            register: commands::RegisterHandler::new(ports),
            login: commands::LoginHandler::new(ports),
            refresh: commands::RefreshHandler::new(ports),
            logout: commands::LogoutHandler::new(ports),
            sessions: queries::SessionListHandler::new(ports),
            revoke_session: commands::RevokeSessionHandler::new(ports),
            revoke_other_sessions: commands::RevokeOtherSessionsHandler::new(ports),
            change_password: commands::ChangePasswordHandler::new(ports),
            forgot_password: commands::ForgotPasswordHandler::new(ports),
            reset_password: commands::ResetPasswordHandler::new(ports),
        }
    }
}
