//! Sign-up, sign-in, tokens, sessions and passwords: REST's checks and limits, the same codes.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{claims, state};
use crate::application::auth::AuthGrant;
use crate::application::auth::commands::Refresh;
use crate::domain::auth::{Activity, OpaqueToken};
use crate::domain::shared::SessionId;
use crate::presentation::http::activity::ActivityResponse;
use crate::presentation::http::auth::{AuthResponse, LoginBody, RegisterBody};
use crate::presentation::http::extract::ClientMeta;
use crate::presentation::http::passwords::{
    ChangePasswordBody, ForgotPasswordBody, ResetPasswordBody,
};
use crate::presentation::http::sessions::SessionResponse;

/// The request's device, for the rate limits by address and the session's record.
fn client(ctx: &Context<'_>) -> ClientMeta {
    ctx.data_unchecked::<ClientMeta>().clone()
}

#[derive(SimpleObject)]
pub struct Account {
    id: Uuid,
    username: String,
    email: String,
    display_name: String,
    created_at: OffsetDateTime,
}

#[derive(SimpleObject)]
pub struct Tokens {
    /// Send as `Authorization: Bearer …`, or in `connection_init` as `{"token": …}`.
    access_token: String,
    expires_at: OffsetDateTime,
    /// Spent by `refresh`; presenting it again revokes the session.
    refresh_token: String,
    refresh_expires_at: OffsetDateTime,
    session_id: Uuid,
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    account: Account,
    tokens: Tokens,
}

impl From<AuthGrant> for AuthPayload {
    fn from(grant: AuthGrant) -> Self {
        let wire = AuthResponse::from(grant);
        Self {
            account: Account {
                id: wire.user.id,
                username: wire.user.username,
                email: wire.user.email,
                display_name: wire.user.display_name,
                created_at: wire.user.created_at,
            },
            tokens: Tokens {
                access_token: wire.tokens.access_token,
                expires_at: wire.tokens.expires_at,
                refresh_token: wire.tokens.refresh_token.unwrap_or_default(),
                refresh_expires_at: wire.tokens.refresh_expires_at,
                session_id: wire.tokens.session_id,
            },
        }
    }
}

/// One thing that happened to the account.
#[derive(SimpleObject)]
pub struct AccountActivity {
    /// `login`, `login_failed`, `logout`, `password_changed`, `password_reset`,
    /// `session_revoked` or `other_sessions_revoked`.
    kind: String,
    at: OffsetDateTime,
    ip: Option<String>,
    user_agent: Option<String>,
    device_name: Option<String>,
    session_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct RegisterInput {
    email: String,
    /// 3 to 32 of a-z, 0-9 and `_`.
    username: String,
    /// 8 to 128 characters.
    password: String,
    display_name: String,
    device_name: Option<String>,
}

#[derive(InputObject)]
pub struct LoginInput {
    /// The email address or the username.
    login: String,
    password: String,
    device_name: Option<String>,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The caller's live sessions (devices), newest first.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<SessionResponse>> {
        let sessions = state(ctx).auth.sessions.handle(claims(ctx)?).await?;
        Ok(sessions.into_iter().map(SessionResponse::from).collect())
    }

    /// The account's activity (sign-ins, failed sign-ins, password changes, sessions ended),
    /// newest first.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1 to 100, default 50.")] first: Option<i32>,
        after: Option<Uuid>,
    ) -> Result<Connection<Uuid, AccountActivity>> {
        let limit = super::messages::page_size("first", first, 50)?;
        let activity = &state(ctx).auth.activity;
        let page = activity.handle(claims(ctx)?, after, limit).await?;
        let mut connection = Connection::new(after.is_some(), page.next.is_some());
        connection.edges.extend(
            page.items
                .iter()
                .map(|a| Edge::new(a.id, Self::activity_entry(a))),
        );
        Ok(connection)
    }
}

impl AuthQuery {
    fn activity_entry(a: &Activity) -> AccountActivity {
        let wire = ActivityResponse::from(a);
        AccountActivity {
            kind: wire.kind.to_owned(),
            at: wire.at,
            ip: wire.ip,
            user_agent: wire.user_agent,
            device_name: wire.device_name,
            session_id: wire.session_id,
        }
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Create an account and sign in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let body = RegisterBody {
            email: input.email,
            username: input.username,
            password: input.password,
            display_name: input.display_name,
            device_name: input.device_name,
        };
        let command = body.into_command(client(ctx))?;
        Ok(state(ctx).auth.register.handle(command).await?.into())
    }

    /// Sign in; opens a session for this device.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let body = LoginBody {
            login: input.login,
            password: input.password,
            device_name: input.device_name,
        };
        let command = body.into_command(client(ctx))?;
        Ok(state(ctx).auth.login.handle(command).await?.into())
    }

    /// New tokens for a refresh token, which is spent.
    async fn refresh(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let command = Refresh {
            refresh_token: OpaqueToken::presented(&refresh_token),
        };
        Ok(state(ctx).auth.refresh.handle(command).await?.into())
    }

    /// Sign out this device.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let caller = claims(ctx)?;
        let client = client(ctx).into_client(None);
        state(ctx).auth.logout.handle(caller, client).await?;
        Ok(true)
    }

    /// Sign out one of the caller's devices.
    async fn revoke_session(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let caller = claims(ctx)?;
        let client = client(ctx).into_client(None);
        let session = SessionId::from_uuid(id);
        let revoke = &state(ctx).auth.revoke_session;
        revoke.handle(caller, session, client).await?;
        Ok(true)
    }

    /// Sign out every other device; returns how many. Needs the password.
    async fn revoke_other_sessions(&self, ctx: &Context<'_>, password: String) -> Result<u64> {
        let caller = claims(ctx)?;
        let client = client(ctx).into_client(None);
        let revoke = &state(ctx).auth.revoke_other_sessions;
        Ok(revoke.handle(caller, password, client).await?)
    }

    /// Change the password; signs out every other device.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let caller = claims(ctx)?;
        let body = ChangePasswordBody {
            current_password,
            new_password,
        };
        let command = body.into_command()?;
        let client = client(ctx).into_client(None);
        let change = &state(ctx).auth.change_password;
        change.handle(caller, command, client).await?;
        Ok(true)
    }

    /// Ask for a reset mail. Always `true`, whether or not the address has an account.
    async fn forgot_password(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        let command = ForgotPasswordBody { email }.into_command(client(ctx))?;
        state(ctx).auth.forgot_password.handle(command).await?;
        Ok(true)
    }

    /// Set a new password with a mailed reset token; signs out every device.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> Result<bool> {
        let body = ResetPasswordBody {
            token,
            new_password,
        };
        let command = body.into_command(client(ctx))?;
        state(ctx).auth.reset_password.handle(command).await?;
        Ok(true)
    }
}
