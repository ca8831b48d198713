use anyhow::Context;
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::application::ports::{Mail, Mailer};

/// Sends through an SMTP relay given as a URL, e.g. `smtps://user:pass@smtp.example.com`
/// (implicit TLS) or `smtp://relay:587?tls=required` (STARTTLS).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("mail.smtp_url is not a valid SMTP URL")?
            .build();
        let from = from.parse().context("mail.from is not a valid mailbox")?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse().context("invalid recipient")?)
            .subject(mail.subject)
            .body(mail.body)
            .context("cannot build the mail")?;
        self.transport
            .send(message)
            .await
            .context("SMTP delivery failed")?;
        Ok(())
    }
}
