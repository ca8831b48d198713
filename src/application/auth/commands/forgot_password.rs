use std::sync::Arc;

use crate::application::auth::{AuthDeps, ClientInfo};
use crate::application::error::AppError;
use crate::application::ports::Mail;
use crate::domain::auth::OpaqueToken;
use crate::domain::users::Email;

pub struct ForgotPassword {
    pub email: Email,
    pub client: ClientInfo,
}

/// Mails a single-use reset token when the address belongs to an account. Answers the same
/// either way, and sends in the background, so neither the answer nor its timing reveals
/// whether an account exists.
pub struct ForgotPasswordHandler(Arc<AuthDeps>);

impl ForgotPasswordHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: ForgotPassword) -> Result<(), AppError> {
        let deps = &self.0;
        deps.limit(
            format!("forgot:ip:{}", cmd.client.ip_key()),
            deps.policy.forgot_per_ip,
        )
        .await?;
        deps.limit(
            format!("forgot:email:{}", cmd.email.as_str()),
            deps.policy.forgot_per_email,
        )
        .await?;
        let deps = Arc::clone(deps);
        let span = tracing::Span::current();
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                if let Err(error) = send_reset(&deps, cmd.email).await {
                    tracing::error!(error = %format!("{error:#}"), "password reset mail failed");
                }
            },
            span,
        ));
        Ok(())
    }
}

async fn send_reset(deps: &AuthDeps, email: Email) -> anyhow::Result<()> {
    let Some(account) = deps.accounts.find_by_email(&email).await? else {
        return Ok(());
    };
    let token = OpaqueToken::generate();
    let now = deps.clock.now();
    deps.resets
        .create(
            account.user.id,
            &token.hash(),
            now,
            now + deps.policy.reset_token_ttl,
        )
        .await?;
    let minutes = deps.policy.reset_token_ttl.whole_minutes();
    deps.mailer
        .send(Mail {
            to: email.as_str().to_owned(),
            subject: "Reset your password".to_owned(),
            body: format!(
                "Someone asked to reset the password of the account {username}.\n\n\
                 Reset token: {token}\n\n\
                 It works once, within {minutes} minutes. If it was not you, ignore this mail.\n",
                username = account.user.username.as_str(),
                token = token.expose(),
            ),
        })
        .await
}
