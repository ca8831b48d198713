use async_trait::async_trait;

use crate::application::ports::{Mail, Mailer};

/// Writes mails to the log instead of sending them: the zero-setup default, for development.
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.body, "mail (log transport, not sent)");
        Ok(())
    }
}
