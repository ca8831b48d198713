//! System messages in a case's conversation: what its customer is told as routing moves it
//! (queued with a place and a wait, assigned, resolved, closed until a given time). They are
//! messages of their own kind, with a seq like any other, so every client shows them in
//! order and catches up on them like on the rest of the history.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::BusinessPorts;
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::domain::business::{Business, Case, CaseQueries, CaseRepository};
use crate::domain::messages::{MessageContent, MessageDraft, MessageKind, MessageRepository};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, UserId};
use crate::domain::users::ProfileRepository;

/// How far back the pace of a team's assignments is measured, for expected waits.
const PACE_WINDOW: Duration = Duration::hours(1);

/// A notice reports a change already committed: the change stands whatever happens to the
/// message, so a failure is logged, never returned.
pub(super) fn logged<T>(told: Result<T, AppError>, case: ConversationId, notice: &str) {
    if let Err(error) = told {
        tracing::warn!(%error, conversation_id = %case, notice, "case notice failed");
    }
}

/// Writes the notices: system messages about a case's customer, in its conversation.
pub(super) struct Notices {
    messages: Arc<dyn MessageRepository>,
    profiles: Arc<dyn ProfileRepository>,
    cases: Arc<dyn CaseRepository>,
    queries: Arc<dyn CaseQueries>,
    clock: Arc<dyn Clock>,
}

impl Notices {
    pub(super) fn new(ports: &BusinessPorts) -> Self {
        Self {
            messages: ports.messages.clone(),
            profiles: ports.profiles.clone(),
            cases: ports.cases.clone(),
            queries: ports.case_queries.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Posts `text` in `case`'s conversation as a system message about its customer.
    pub(super) async fn tell(&self, case: &Case, text: &str) -> Result<MessageId, AppError> {
        let draft = MessageDraft {
            id: MessageId::new(),
            conversation_id: case.conversation_id,
            sender_id: case.customer_id,
            kind: MessageKind::System,
            content: MessageContent::parse(text)?,
            client_message_id: None,
            reply_to: None,
            mentions: Vec::new(),
            attachment_ids: Vec::new(),
            created_at: self.clock.now(),
        };
        Ok(self.messages.append(&draft).await?.id())
    }

    /// The words for a case now with `agent`: their name only when the business shows names.
    pub(super) async fn assigned_text(
        &self,
        business: &Business,
        agent: UserId,
    ) -> Result<String, AppError> {
        if business.show_agent_names
            && let Some(profile) = self.profiles.find(agent).await?
        {
            return Ok(format!(
                "{} joined the conversation.",
                profile.display_name.as_str()
            ));
        }
        Ok(format!(
            "An agent of {} joined the conversation.",
            business.name
        ))
    }

    /// The closed reply, with when the business opens again.
    pub(super) fn closed_text(&self, business: &Business) -> String {
        let reply = match business.closed_reply.is_empty() {
            true => format!("{} is closed right now.", business.name),
            false => business.closed_reply.clone(),
        };
        match business.hours.next_opening(self.clock.now()) {
            Some(opens) => format!(
                "{reply} We open again on {}.",
                business.hours.local_label(opens)
            ),
            None => reply,
        }
    }

    /// The place in the queue and the wait the team's recent pace suggests.
    pub(super) async fn queued_text(&self, case: &Case, position: u64) -> Result<String, AppError> {
        let since = self.clock.now() - PACE_WINDOW;
        let assigned = self.queries.assigned_since(case.team_id, since).await?;
        let place = format!("You are number {position} in the queue.");
        if assigned == 0 {
            return Ok(format!(
                "{place} An agent will be with you as soon as possible."
            ));
        }
        // The team's pace over the window, at that rate for everyone ahead and this case.
        let wait = PACE_WINDOW.whole_seconds() as f64 * position as f64 / assigned as f64;
        let minutes = (wait / 60.0).ceil().max(1.0) as u64;
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        Ok(format!("{place} Expected wait: about {minutes} {unit}."))
    }

    /// Tells a queued case's customer their place: a new notice, or the existing one edited
    /// when the place changed. Closed businesses say when they open instead, once.
    pub(super) async fn tell_place(
        &self,
        business: &Business,
        case: &Case,
        position: u64,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        let id = case.conversation_id;
        if !business.hours.is_open(now) {
            // Place 0: the notice says "closed"; the first pass after opening tells the place.
            if case.told_position.is_none() && self.cases.claim_notice(id, None, 0).await? {
                let closed = self.tell(case, &self.closed_text(business)).await?;
                self.cases.note_notice(id, closed).await?;
            }
            return Ok(());
        }
        // Whoever moves the place first tells it: a pass and a request never both do. A
        // place claimed with no notice recorded yet is being posted: the next pass edits it.
        let posting = case.told_position.is_some_and(|t| t > 0) && case.notice_id.is_none();
        if posting
            || case.told_position == Some(position)
            || !self
                .cases
                .claim_notice(id, case.told_position, position)
                .await?
        {
            return Ok(());
        }
        let text = self.queued_text(case, position).await?;
        let shown = match (case.notice_id, case.told_position) {
            (Some(id), Some(told)) if told > 0 => {
                self.messages.find(case.conversation_id, id).await?
            }
            _ => None,
        };
        let notice = match shown {
            Some(shown) => {
                let (id, updated) = (shown.id(), DomainEvent::MessageUpdated(shown.change()));
                let content = MessageContent::parse(&text)?;
                self.messages
                    .edit(id, &content, self.clock.now(), &[updated])
                    .await?;
                id
            }
            None => self.tell(case, &text).await?,
        };
        self.cases.note_notice(id, notice).await?;
        Ok(())
    }
}
