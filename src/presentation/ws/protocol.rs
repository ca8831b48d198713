//! Frames on the wire. Client commands are `{"type": …, "ref": …, …}`; the server answers
//! `ack` or `error` with the same `ref`, and pushes events as `{"type": …, "data": …}`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::application::realtime::{PresenceView, RealtimeEvent, SyncOutcome};
use crate::presentation::http::messages::MessageResponse;
use crate::presentation::http::notifications::NotificationResponse;
use crate::presentation::nul::{NUL_REFUSED, nul_field};

#[derive(Debug, Deserialize)]
pub struct SyncEntry {
    pub conversation_id: Uuid,
    pub after_seq: i64,
}

/// What a client may ask. Unknown fields are ignored; unknown types get an `error` frame.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum ClientCommand {
    #[serde(rename = "auth")]
    Auth { token: String },
    #[serde(rename = "ping")]
    Ping,
    #[serde(rename = "message.send")]
    SendMessage {
        conversation_id: Uuid,
        #[serde(default)]
        content: String,
        client_message_id: Option<String>,
        reply_to: Option<Uuid>,
        #[serde(default)]
        mentions: Vec<Uuid>,
        #[serde(default)]
        attachment_ids: Vec<Uuid>,
    },
    #[serde(rename = "typing.start")]
    TypingStart { conversation_id: Uuid },
    #[serde(rename = "typing.stop")]
    TypingStop { conversation_id: Uuid },
    #[serde(rename = "read")]
    Read { conversation_id: Uuid, seq: i64 },
    #[serde(rename = "presence.set")]
    PresenceSet { status: PresenceChoice },
    #[serde(rename = "presence.query")]
    PresenceQuery { user_ids: Vec<Uuid> },
    /// Catch-up: every message after `after_seq` in each conversation, in order.
    #[serde(rename = "sync")]
    Sync { conversations: Vec<SyncEntry> },
}

pub const COMMAND_TYPES: &[&str] = &[
    "auth",
    "ping",
    "message.send",
    "typing.start",
    "typing.stop",
    "read",
    "presence.set",
    "presence.query",
    "sync",
];

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PresenceChoice {
    Online,
    Away,
}

/// A client frame as the gateway takes it: its `ref` and command, or the `error` frame that
/// answers it (not JSON, a NUL byte in a field, an unknown type, a malformed command).
pub fn parse(text: &str) -> Result<(Value, ClientCommand), String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|_| error(&Value::Null, "invalid_json", "The frame is not JSON."))?;
    let reference = value.get("ref").cloned().unwrap_or(Value::Null);
    if let Some(field) = nul_field(&value) {
        let message = format!("{field}: {NUL_REFUSED}");
        return Err(error(&reference, "validation_failed", &message));
    }
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !COMMAND_TYPES.contains(&kind) {
        let message = format!("Unknown command type `{kind}`.");
        return Err(error(&reference, "unknown_type", &message));
    }
    match serde_json::from_value::<ClientCommand>(value) {
        Ok(command) => Ok((reference, command)),
        Err(e) => Err(error(&reference, "invalid_command", &e.to_string())),
    }
}

pub fn ack(reference: &Value, data: Value) -> String {
    json!({"type": "ack", "ref": reference, "data": data}).to_string()
}

pub fn error(reference: &Value, code: &str, message: &str) -> String {
    json!({"type": "error", "ref": reference, "code": code, "message": message}).to_string()
}

pub fn event(kind: &str, data: Value) -> String {
    json!({"type": kind, "data": data}).to_string()
}

pub fn presence_data(view: &PresenceView) -> Value {
    json!({
        "user_id": view.user_id.as_uuid(),
        "status": view.status.as_str(),
        "last_seen_at": view.last_seen_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
    })
}

fn message_data(view: &crate::application::messages::MessageView) -> Value {
    serde_json::to_value(MessageResponse::from(view.clone())).unwrap_or(Value::Null)
}

/// The wire form of a realtime event.
pub fn encode(event: &RealtimeEvent) -> String {
    match event {
        RealtimeEvent::MessageCreated(view) => self::event("message.created", message_data(view)),
        RealtimeEvent::MessageUpdated(view) => self::event("message.updated", message_data(view)),
        RealtimeEvent::MessageDeleted {
            conversation_id,
            message_id,
            seq,
        } => self::event(
            "message.deleted",
            json!({"conversation_id": conversation_id.as_uuid(), "message_id": message_id.as_uuid(), "seq": seq}),
        ),
        RealtimeEvent::ReactionAdded {
            conversation_id,
            message_id,
            user_id,
            emoji,
        } => self::event(
            "reaction.added",
            json!({"conversation_id": conversation_id.as_uuid(), "message_id": message_id.as_uuid(), "user_id": user_id.as_uuid(), "emoji": emoji}),
        ),
        RealtimeEvent::ReactionRemoved {
            conversation_id,
            message_id,
            user_id,
            emoji,
        } => self::event(
            "reaction.removed",
            json!({"conversation_id": conversation_id.as_uuid(), "message_id": message_id.as_uuid(), "user_id": user_id.as_uuid(), "emoji": emoji}),
        ),
        RealtimeEvent::Read {
            conversation_id,
            user_id,
            seq,
        } => self::event(
            "read",
            json!({"conversation_id": conversation_id.as_uuid(), "user_id": user_id.as_uuid(), "seq": seq}),
        ),
        RealtimeEvent::Delivered {
            conversation_id,
            user_id,
            seq,
        } => self::event(
            "delivered",
            json!({"conversation_id": conversation_id.as_uuid(), "user_id": user_id.as_uuid(), "seq": seq}),
        ),
        RealtimeEvent::Typing {
            conversation_id,
            user_id,
            typing,
        } => self::event(
            "typing",
            json!({"conversation_id": conversation_id.as_uuid(), "user_id": user_id.as_uuid(), "typing": typing, "expires_in_ms": if *typing { 5000 } else { 0 }}),
        ),
        RealtimeEvent::Presence {
            user_id,
            status,
            last_seen_at,
        } => self::event(
            "presence",
            presence_data(&PresenceView {
                user_id: *user_id,
                status: *status,
                last_seen_at: *last_seen_at,
            }),
        ),
        RealtimeEvent::ConversationCreated { conversation_id } => self::event(
            "conversation.created",
            json!({"conversation_id": conversation_id.as_uuid()}),
        ),
        RealtimeEvent::ConversationUpdated { conversation_id } => self::event(
            "conversation.updated",
            json!({"conversation_id": conversation_id.as_uuid()}),
        ),
        RealtimeEvent::ConversationDeleted { conversation_id } => self::event(
            "conversation.deleted",
            json!({"conversation_id": conversation_id.as_uuid()}),
        ),
        RealtimeEvent::ParticipantAdded {
            conversation_id,
            user_id,
            by,
        } => self::event(
            "participant.added",
            json!({"conversation_id": conversation_id.as_uuid(), "user_id": user_id.as_uuid(), "by": by.as_uuid()}),
        ),
        RealtimeEvent::ParticipantRemoved {
            conversation_id,
            user_id,
            by,
        } => self::event(
            "participant.removed",
            json!({"conversation_id": conversation_id.as_uuid(), "user_id": user_id.as_uuid(), "by": by.as_uuid()}),
        ),
        RealtimeEvent::NotificationCreated(notification) => self::event(
            "notification.created",
            serde_json::to_value(NotificationResponse::from(notification.as_ref()))
                .unwrap_or(Value::Null),
        ),
        RealtimeEvent::ResyncRequired => self::event(
            "resync_required",
            json!({"conversation_id": null, "reason": "events_missed"}),
        ),
    }
}

#[derive(Debug, Serialize)]
pub struct SyncResult {
    pub conversation_id: Uuid,
    pub last_seq: i64,
    /// More than one sync's worth was missed: send `sync` again from `last_seq`.
    pub has_more: bool,
    /// Why this conversation was not replayed (e.g. `conversation_not_found`); the others were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

impl From<SyncOutcome> for SyncResult {
    fn from(outcome: SyncOutcome) -> Self {
        Self {
            conversation_id: outcome.conversation_id.as_uuid(),
            last_seq: outcome.last_seq,
            has_more: outcome.has_more,
            error: outcome.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_by_type() {
        let send: ClientCommand = serde_json::from_str(
            r#"{"type":"message.send","ref":1,"conversation_id":"01935f5e-8b5c-7cc4-9d1e-6e1f2a3b4c5d","content":"hi"}"#,
        )
        .unwrap();
        assert!(matches!(send, ClientCommand::SendMessage { .. }));
        assert!(serde_json::from_str::<ClientCommand>(r#"{"type":"ping"}"#).is_ok());
        assert!(
            serde_json::from_str::<ClientCommand>(r#"{"type":"presence.set","status":"busy"}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<ClientCommand>(r#"{"type":"nope"}"#).is_err());
    }
}
