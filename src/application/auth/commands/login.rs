use std::sync::Arc;

use crate::application::auth::{AuthDeps, AuthGrant, ClientInfo};
use crate::application::error::AppError;
use crate::domain::auth::{ActivityKind, Login};

pub struct LogIn {
    /// Email or username, as typed.
    pub login: String,
    pub password: String,
    pub client: ClientInfo,
}

pub struct LoginHandler(Arc<AuthDeps>);

impl LoginHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: LogIn) -> Result<AuthGrant, AppError> {
        let deps = &self.0;
        deps.limit(
            format!("login:ip:{}", cmd.client.ip_key()),
            deps.policy.login_per_ip,
        )
        .await?;
        let login = Login::parse(&cmd.login);
        let account = match &login {
            Some(login) => deps.accounts.find_by_login(login).await?,
            None => None,
        };
        // Keyed by the account, so switching between its email and username does not reset
        // the count; unknown names are keyed as typed.
        let account_key = match (&account, &login) {
            (Some(account), _) => account.user.id.to_string(),
            (None, Some(login)) => login.key().to_owned(),
            (None, None) => cmd.login.trim().to_lowercase(),
        };
        // Unknown accounts cost a full hash too, so timing does not reveal which exist.
        let hash = account.as_ref().map(|a| a.password_hash.clone());
        let failures = format!("login-failed:{account_key}:{}", cmd.client.ip_key());
        let verified = deps.verify_password(failures, cmd.password, hash).await?;
        let Some(account) = account else {
            return Err(AppError::Unauthenticated("invalid_credentials"));
        };
        if !verified {
            deps.note(
                account.user.id,
                ActivityKind::LoginFailed,
                &cmd.client,
                None,
            )
            .await;
            return Err(AppError::Unauthenticated("invalid_credentials"));
        }
        tracing::info!(user_id = %account.user.id, "user logged in");
        let user_id = account.user.id;
        let grant = deps
            .start_session(account.user, cmd.client.device.clone())
            .await?;
        deps.note(
            user_id,
            ActivityKind::Login,
            &cmd.client,
            Some(grant.session_id),
        )
        .await;
        Ok(grant)
    }
}
