//! Frames on the wire. Client commands are `{"type": …, "ref": …, …}`; the server answers
//! `ack` or `error` with the same `ref`, and pushes events as `{"type": …, "data": …}` (the
//! serde form of `RealtimeEvent`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::frames::{AckFrame, Acked, ErrorFrame, Ready};

use crate::application::realtime::SyncOutcome;
use crate::presentation::nul::{NUL_REFUSED, nul_field};

#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncEntry {
    pub conversation_id: Uuid,
    /// The last seq the client holds (0 for none).
    pub after_seq: i64,
}

/// What a client may ask. Unknown fields are ignored; unknown types get an `error` frame.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum ClientCommand {
    /// Sign in on a connection opened without `Authorization` (browsers): the first frame,
    /// within 10 s, or the server closes with 4001.
    #[serde(rename = "auth")]
    Auth { token: String },
    #[serde(rename = "ping")]
    Ping,
    /// Like `POST /conversations/{id}/messages`: a retry with the same `client_message_id`
    /// answers the first message.
    #[serde(rename = "message.send")]
    SendMessage {
        conversation_id: Uuid,
        /// 1 to 4000 characters; may be empty or left out when `attachment_ids` has files.
        #[serde(default)]
        content: String,
        /// The sender's idempotency key (1 to 64 printable ASCII).
        #[schema(pattern = "^[!-~]{1,64}$")]
        client_message_id: Option<String>,
        reply_to: Option<Uuid>,
        #[serde(default)]
        mentions: Vec<Uuid>,
        #[serde(default)]
        attachment_ids: Vec<Uuid>,
    },
    /// Others see `typing` for a few seconds; send again to keep it up.
    #[serde(rename = "typing.start")]
    TypingStart { conversation_id: Uuid },
    #[serde(rename = "typing.stop")]
    TypingStop { conversation_id: Uuid },
    /// Moves the read marker forward to `seq`.
    #[serde(rename = "read")]
    Read {
        conversation_id: Uuid,
        #[schema(minimum = 1)]
        seq: i64,
    },
    #[serde(rename = "presence.set")]
    PresenceSet { status: PresenceChoice },
    #[serde(rename = "presence.query")]
    PresenceQuery {
        #[schema(max_items = 200)]
        user_ids: Vec<Uuid>,
    },
    /// Catch-up: every message after `after_seq` in each conversation, in order, then the ack.
    #[serde(rename = "sync")]
    Sync {
        #[schema(max_items = 100)]
        conversations: Vec<SyncEntry>,
    },
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

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PresenceChoice {
    Online,
    Away,
}

/// A client frame as the gateway takes it: its `ref`, type and command, or the `error` frame
/// that answers it (not JSON, a NUL byte in a field, an unknown type, a malformed command).
pub fn parse(text: &str) -> Result<(Value, &'static str, ClientCommand), String> {
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
    let Some(kind) = COMMAND_TYPES.iter().copied().find(|k| *k == kind) else {
        let message = format!("Unknown command type `{kind}`.");
        return Err(error(&reference, "unknown_type", &message));
    };
    match serde_json::from_value::<ClientCommand>(value) {
        Ok(command) => Ok((reference, kind, command)),
        Err(e) => Err(error(&reference, "invalid_command", &e.to_string())),
    }
}

pub fn ack(reference: &Value, data: Acked) -> String {
    let frame = AckFrame {
        kind: "ack",
        reference,
        data,
    };
    serde_json::to_string(&frame).expect("an ack serialises")
}

pub fn error(reference: &Value, code: &str, message: &str) -> String {
    let frame = ErrorFrame {
        kind: "error",
        reference,
        code,
        message,
    };
    serde_json::to_string(&frame).expect("an error serialises")
}

/// The first frame on an authenticated connection: `{"type": "ready", "data": …}`.
pub fn ready(ready: Ready) -> String {
    let frame = serde_json::json!({"type": "ready", "data": ready});
    frame.to_string()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResult {
    pub conversation_id: Uuid,
    pub last_seq: i64,
    /// More than one sync's worth was missed: send `sync` again from `last_seq`.
    pub has_more: bool,
    /// Why this conversation was not replayed (e.g. `conversation_not_found`); the others were.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
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
