use std::sync::Arc;

use crate::application::auth::{AuthPorts, ClientInfo, spend};
use crate::application::error::AppError;
use crate::application::ports::{Clock, Mail, Mailer, RateLimit, RateLimiter};
use crate::domain::auth::{AccountRepository, OpaqueToken, PasswordResetRepository};
use crate::domain::users::Email;

pub struct ForgotPassword {
    pub email: Email,
    pub client: ClientInfo,
}

/// Mails a single-use reset token when the address belongs to an account. Answers the same
/// either way, and sends in the background, so neither the answer nor its timing reveals
/// whether an account exists.
pub struct ForgotPasswordHandler {
    limiter: Arc<dyn RateLimiter>,
    per_ip: RateLimit,
    per_email: RateLimit,
    mail: Arc<ResetMail>,
}

/// What sending a reset token takes, moved into the task that sends it.
struct ResetMail {
    accounts: Arc<dyn AccountRepository>,
    resets: Arc<dyn PasswordResetRepository>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    ttl: time::Duration,
}

impl ForgotPasswordHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            limiter: ports.limiter.clone(),
            per_ip: ports.policy.forgot_per_ip,
            per_email: ports.policy.forgot_per_email,
            mail: Arc::new(ResetMail {
                accounts: ports.accounts.clone(),
                resets: ports.resets.clone(),
                mailer: ports.mailer.clone(),
                clock: ports.clock.clone(),
                ttl: ports.policy.reset_token_ttl,
            }),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: ForgotPassword) -> Result<(), AppError> {
        let limiter = self.limiter.as_ref();
        let key = format!("forgot:ip:{}", cmd.client.ip_key());
        spend(limiter, key, self.per_ip).await?;
        let key = format!("forgot:email:{}", cmd.email.as_str());
        spend(limiter, key, self.per_email).await?;
        let mail = Arc::clone(&self.mail);
        let span = tracing::Span::current();
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                if let Err(error) = send_reset(&mail, cmd.email).await {
                    tracing::error!(error = %format!("{error:#}"), "password reset mail failed");
                }
            },
            span,
        ));
        Ok(())
    }
}

async fn send_reset(deps: &ResetMail, email: Email) -> anyhow::Result<()> {
    let Some(account) = deps.accounts.find_by_email(&email).await? else {
        return Ok(());
    };
    let token = OpaqueToken::generate();
    let now = deps.clock.now();
    deps.resets
        .create(account.user.id, &token.hash(), now, now + deps.ttl)
        .await?;
    let minutes = deps.ttl.whole_minutes();
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
