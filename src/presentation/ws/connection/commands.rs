//! What a connection does with each command frame: the same handlers as REST.

use serde_json::Value;
use tokio::sync::mpsc;

use super::Live;
use crate::application::error::AppError;
use crate::application::messages::{Marker, SendMessage};
use crate::application::realtime::{CatchUp, PresenceStatus, RealtimeEvent, Replayed, SyncEntry};
use crate::domain::conversations::Post;
use crate::domain::messages::{ClientMessageId, MessageContent};
use crate::domain::shared::{AttachmentId, ConversationId, MessageId, UserId};
use crate::presentation::http::problem::Problem;
use crate::presentation::ws::frames::{
    Acked, AuthAck, EmptyAck, PongAck, PresenceQueryAck, PresenceSetAck, ReadAck, SendAck, SyncAck,
};
use crate::presentation::ws::gateway::SYNC_QUEUE;
use crate::presentation::ws::protocol::{self, ClientCommand, PresenceChoice, SyncResult};

impl Live {
    /// Runs one command; the answer is an `ack` or an `error` frame, never a closed connection.
    /// `None` when the answer comes later (a sync's ack follows its replay).
    pub(super) async fn command(&mut self, text: &str) -> Option<String> {
        use tracing::Instrument;
        let (reference, kind, command) = match protocol::parse(text) {
            Ok(parsed) => parsed,
            Err(error) => return Some(error),
        };
        if let ClientCommand::Sync { conversations } = command {
            return self.start_sync(reference, conversations);
        }
        let span = tracing::info_span!("ws_command", command = kind);
        Some(match self.execute(command).instrument(span).await {
            Ok(data) => protocol::ack(&reference, data),
            Err(error) => self.refusal(&reference, error),
        })
    }

    fn refusal(&self, reference: &Value, error: AppError) -> String {
        let problem = Problem::from(error);
        let message = match &problem.errors {
            Some(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            None => problem.detail.clone(),
        };
        protocol::error(reference, &problem.code, &message)
    }

    async fn execute(&mut self, command: ClientCommand) -> Result<Acked, AppError> {
        let me = self.me();
        let state = self.state.clone();
        let realtime = &state.realtime;
        match command {
            ClientCommand::Auth { .. } => Ok(Acked::Auth(AuthAck {
                user_id: me.as_uuid(),
            })),
            ClientCommand::Ping => Ok(Acked::Pong(PongAck { pong: true })),
            ClientCommand::SendMessage {
                conversation_id,
                content,
                client_message_id,
                reply_to,
                mentions,
                attachment_ids,
            } => {
                let content =
                    MessageContent::parse_with_files(&content, !attachment_ids.is_empty())?;
                let client_message_id = client_message_id
                    .map(|raw| ClientMessageId::parse(&raw))
                    .transpose()?;
                let post = Post {
                    content,
                    client_message_id,
                    reply_to: reply_to.map(MessageId::from_uuid),
                    mentions: mentions.into_iter().map(UserId::from_uuid).collect(),
                    attachment_ids: attachment_ids
                        .into_iter()
                        .map(AttachmentId::from_uuid)
                        .collect(),
                };
                let command = SendMessage {
                    conversation_id: ConversationId::from_uuid(conversation_id),
                    post,
                };
                let (view, created) = state.messages.send.handle(me, command).await?;
                Ok(Acked::Sent(Box::new(SendAck {
                    created,
                    message: view,
                })))
            }
            ClientCommand::TypingStart { conversation_id } => {
                let id = ConversationId::from_uuid(conversation_id);
                realtime.typing.set(me, id, true).await?;
                Ok(Acked::Done(EmptyAck {}))
            }
            ClientCommand::TypingStop { conversation_id } => {
                let id = ConversationId::from_uuid(conversation_id);
                realtime.typing.set(me, id, false).await?;
                Ok(Acked::Done(EmptyAck {}))
            }
            ClientCommand::Read {
                conversation_id,
                seq,
            } => {
                let read_seq = state
                    .messages
                    .move_marker
                    .handle(
                        me,
                        ConversationId::from_uuid(conversation_id),
                        Marker::Read,
                        seq,
                    )
                    .await?;
                Ok(Acked::Read(ReadAck { read_seq }))
            }
            ClientCommand::PresenceSet { status } => {
                let away = status == PresenceChoice::Away;
                realtime.presence.store().set_away(me, away).await;
                self.announce_presence(if away {
                    PresenceStatus::Away
                } else {
                    PresenceStatus::Online
                })
                .await;
                Ok(Acked::Presence(PresenceSetAck { status }))
            }
            ClientCommand::PresenceQuery { user_ids } => {
                if user_ids.len() > 200 {
                    return Err(AppError::invalid("user_ids", "at most 200 users"));
                }
                let users: Vec<UserId> = user_ids.into_iter().map(UserId::from_uuid).collect();
                let views = realtime.presence.query(me, &users).await?;
                Ok(Acked::PresenceQuery(PresenceQueryAck { presence: views }))
            }
            // Started by `command`, answered once replayed.
            ClientCommand::Sync { .. } => Ok(Acked::Done(EmptyAck {})),
        }
    }

    /// Starts replaying what the client missed; the `ack` follows the replayed frames. Live
    /// events keep flowing meanwhile, so a newer message may arrive before older replayed ones.
    fn start_sync(
        &mut self,
        reference: Value,
        entries: Vec<protocol::SyncEntry>,
    ) -> Option<String> {
        if self.catching_up.is_some() {
            let message = "A sync is running on this connection; wait for its ack.";
            return Some(protocol::error(&reference, "sync_in_progress", message));
        }
        let entries: Vec<SyncEntry> = entries
            .into_iter()
            .map(|e| SyncEntry {
                conversation_id: ConversationId::from_uuid(e.conversation_id),
                after_seq: e.after_seq,
            })
            .collect();
        if let Err(error) = CatchUp::check(&entries) {
            return Some(self.refusal(&reference, error));
        }
        let (sender, receiver) = mpsc::channel(SYNC_QUEUE);
        let catch_up = self.state.realtime.catch_up.clone();
        let me = self.me();
        actix_web::rt::spawn(async move {
            let _ = catch_up.replay(me, entries, &sender).await;
        });
        self.catching_up = Some((reference, receiver));
        None
    }

    /// Writes one replayed item; `false` when the connection is gone.
    pub(super) async fn replayed(&mut self, item: Option<Replayed>) -> bool {
        let Some(item) = item else {
            // The replay ended without its outcomes: it failed.
            let (reference, _) = self.catching_up.take().expect("a sync was running");
            let message = "The sync failed; send it again.";
            return self
                .write(protocol::error(&reference, "internal_error", message))
                .await;
        };
        match item {
            Replayed::Message(view) => {
                let (id, seq) = (view.message.conversation_id(), view.message.seq());
                let replayed = self.replayed.entry(id).or_default();
                *replayed = (*replayed).max(seq);
                if self.live_sent.contains(&(id, seq)) {
                    return true;
                }
                let frame = RealtimeEvent::MessageCreated(*view).frame();
                self.write(frame).await
            }
            Replayed::Resync {
                conversation_id,
                from_seq,
                to_seq,
                reason,
            } => {
                let event = RealtimeEvent::ResyncRequired {
                    conversation_id: Some(conversation_id),
                    from_seq: Some(from_seq),
                    to_seq: Some(to_seq),
                    reason: reason.into(),
                };
                self.write(event.frame()).await
            }
            Replayed::Done(outcomes) => {
                let (reference, _) = self.catching_up.take().expect("a sync was running");
                let results: Vec<SyncResult> = outcomes.into_iter().map(SyncResult::from).collect();
                self.write(protocol::ack(
                    &reference,
                    Acked::Sync(SyncAck {
                        conversations: results,
                    }),
                ))
                .await
            }
        }
    }
}
