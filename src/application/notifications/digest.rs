//! E-mail digests: a user who opted in, has unread notifications and has been away for a
//! while gets one mail listing how many of each kind wait, at most once per period. Every
//! instance looks; a claim in the database lets one mail out per user and period.

use std::sync::Arc;
use std::time::Duration;

use crate::application::error::AppError;
use crate::application::ports::{Clock, Mail, Mailer};
use crate::application::realtime::PresenceStore;
use crate::domain::auth::AccountRepository;
use crate::domain::notifications::{DigestRepository, NotificationKind};
use crate::domain::shared::UserId;

/// Users looked at per pass; the next pass takes the rest.
const BATCH: u64 = 200;

#[derive(Debug, Clone, Copy)]
pub struct DigestPolicy {
    /// Away (no live connection, last seen) at least this long, and the notifications as old.
    pub away: Duration,
    /// At most one digest per user in this long.
    pub period: Duration,
}

pub struct Digests {
    pub digests: Arc<dyn DigestRepository>,
    pub accounts: Arc<dyn AccountRepository>,
    pub presence: Arc<dyn PresenceStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub policy: DigestPolicy,
}

impl Digests {
    /// Sends what is due every `interval`, for ever.
    pub async fn run_every(self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = self.send_due().await {
                tracing::warn!(%error, "e-mail digests not sent; next pass retries");
            }
        }
    }

    /// One pass: returns how many digests went out.
    pub async fn send_due(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        let quiet_since = now - self.policy.away;
        let period_start = now - self.policy.period;
        let mut sent = 0;
        for user in self.digests.due(quiet_since, period_start, BATCH).await? {
            if self.away(user, quiet_since).await
                && self.digests.claim(user, now, period_start).await?
            {
                self.send(user).await?;
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// No live connection anywhere, and not seen since `quiet_since` when that is known.
    async fn away(&self, user: UserId, quiet_since: time::OffsetDateTime) -> bool {
        if self.presence.connections(user).await > 0 {
            return false;
        }
        let seen = self.presence.get(&[user]).await;
        !seen
            .iter()
            .any(|(_, _, last_seen)| last_seen.is_some_and(|at| at > quiet_since))
    }

    async fn send(&self, user: UserId) -> Result<(), AppError> {
        let Some(account) = self.accounts.find(user).await? else {
            return Ok(());
        };
        let counts = self.digests.unread_by_kind(user).await?;
        let mail = Mail {
            to: account.user.email.as_str().to_owned(),
            subject: "Unread notifications are waiting for you".to_owned(),
            body: body(account.user.username.as_str(), &counts),
        };
        if let Err(error) = self.mailer.send(mail).await {
            // Claimed already: this period's digest is lost rather than sent twice.
            tracing::warn!(error = %format!("{error:#}"), user_id = %user, "digest not sent");
            return Ok(());
        }
        metrics::counter!("email_digests_sent_total").increment(1);
        Ok(())
    }
}

/// Counts only: what people wrote stays out of e-mail.
fn body(username: &str, counts: &[(NotificationKind, u64)]) -> String {
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut body = format!("Hello {username},\n\nYou have {total} unread notifications:\n");
    for (kind, n) in counts {
        let what = match kind {
            NotificationKind::Message => "new messages",
            NotificationKind::Mention => "mentions",
            NotificationKind::ContactRequest => "contact requests",
            NotificationKind::ContactAccepted => "accepted contact requests",
            NotificationKind::AddedToConversation => "conversations you were added to",
        };
        body.push_str(&format!("- {what}: {n}\n"));
    }
    body.push_str(
        "\nOpen the app to read them. To stop these mails, turn off the e-mail digest in your \
         notification settings.\n",
    );
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_counts_each_kind_and_their_sum() {
        let text = body(
            "carol",
            &[
                (NotificationKind::Message, 3),
                (NotificationKind::Mention, 1),
            ],
        );
        assert!(text.starts_with("Hello carol,"));
        assert!(text.contains("You have 4 unread notifications"));
        assert!(text.contains("- new messages: 3\n- mentions: 1\n"));
    }
}
