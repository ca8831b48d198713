use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

use super::*;
use crate::application::messages::MessageView;
use crate::application::notifications::NotificationView;
use crate::application::realtime::{PresenceStatus, PresenceView, RealtimeEvent, frame_kind};
use crate::domain::business::{AgentStatus, BusinessId, CaseState, CaseSummary, TeamId};
use crate::domain::messages::{Message, MessageRecord, Reaction};
use crate::domain::notifications::{Notification, NotificationKind};
use crate::domain::shared::{
    ConversationId, MarkerChange, MemberChange, MessageChange, MessageId, ReactionChange, UserId,
};
use crate::presentation::ws::frames::Acked;
use crate::presentation::ws::protocol;

fn doc() -> Value {
    document("ws", "localhost:8080")
}

/// Checks `value` against `schema` for the keywords our schemas use; every object key must be
/// declared, so that an undocumented field fails.
fn conforms(doc: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = target.trim_start_matches('#');
        let resolved = doc.pointer(pointer).ok_or(format!("no {target}"))?;
        return conforms(doc, resolved, value);
    }
    if let Some(Value::Array(options)) = schema.get("oneOf") {
        let matching = options
            .iter()
            .filter(|o| conforms(doc, o, value).is_ok())
            .count();
        return (matching == 1)
            .then_some(())
            .ok_or(format!("{value} matches {matching} of oneOf"));
    }
    if let Some(expected) = schema.get("const")
        && expected != value
    {
        return Err(format!("{value} is not {expected}"));
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let number = kind == "integer" && kinds.contains(&"number");
    if !kinds.contains(&kind) && !number {
        return Err(format!("{value} is not {kinds:?}"));
    }
    match value {
        Value::Object(fields) => {
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !fields.contains_key(name) {
                    return Err(format!("`{name}` missing from {value}"));
                }
            }
            for (name, field) in fields {
                let declared = properties
                    .get(name)
                    .ok_or(format!("`{name}` undocumented"))?;
                conforms(doc, declared, field).map_err(|e| format!("{name}: {e}"))?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| conforms(doc, &schema["items"], item)),
        _ => Ok(()),
    }
}

fn check(doc: &Value, message: &str, frame: &str) {
    let payload = &doc["components"]["messages"][message]["payload"];
    assert!(!payload.is_null(), "no message {message}");
    let value: Value = serde_json::from_str(frame).unwrap();
    if let Err(error) = conforms(doc, payload, &value) {
        panic!("{message}: {error}\n{frame}");
    }
}

fn message_view(deleted: bool) -> MessageView {
    let at = datetime!(2026-12-02 10:00 UTC);
    MessageView {
        message: Message::restore(MessageRecord {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq: 3,
            sender_id: UserId::new(),
            kind: crate::domain::messages::MessageKind::Text,
            content: if deleted { String::new() } else { "hi".into() },
            client_message_id: Some("c-1".into()),
            reply_to: Some(MessageId::new()),
            reply_count: 0,
            mentions: vec![UserId::new()],
            attachment_ids: vec![],
            created_at: at,
            edited_at: Some(at),
            deleted_at: deleted.then_some(at),
        }),
        reactions: vec![Reaction {
            emoji: "👍".into(),
            count: 2,
            me: true,
        }],
    }
}

/// One of each event; the match makes a new variant fail to compile until it is listed here.
fn every_event() -> Vec<RealtimeEvent> {
    let (c, m, u) = (ConversationId::new(), MessageId::new(), UserId::new());
    let notification = Notification::new(
        u,
        NotificationKind::Mention,
        u,
        datetime!(2026-12-02 0:00 UTC),
    )
    .about_message(c, m);
    let events = vec![
        RealtimeEvent::MessageCreated(message_view(false)),
        RealtimeEvent::MessageUpdated(message_view(true)),
        RealtimeEvent::MessageDeleted(MessageChange {
            conversation_id: c,
            message_id: m,
            seq: 1,
        }),
        RealtimeEvent::ReactionAdded(ReactionChange {
            conversation_id: c,
            message_id: m,
            user_id: u,
            emoji: "👍".into(),
        }),
        RealtimeEvent::ReactionRemoved(ReactionChange {
            conversation_id: c,
            message_id: m,
            user_id: u,
            emoji: "👍".into(),
        }),
        RealtimeEvent::Read(MarkerChange {
            conversation_id: c,
            user_id: u,
            seq: 2,
        }),
        RealtimeEvent::Delivered(MarkerChange {
            conversation_id: c,
            user_id: u,
            seq: 2,
        }),
        RealtimeEvent::Typing {
            conversation_id: c,
            user_id: u,
            typing: true,
            expires_in_ms: 5000,
        },
        RealtimeEvent::Presence(PresenceView {
            user_id: u,
            status: PresenceStatus::Away,
            last_seen_at: None,
        }),
        RealtimeEvent::ConversationCreated { conversation_id: c },
        RealtimeEvent::ConversationUpdated { conversation_id: c },
        RealtimeEvent::ConversationDeleted { conversation_id: c },
        RealtimeEvent::ParticipantAdded(MemberChange {
            conversation_id: c,
            user_id: u,
            by: u,
        }),
        RealtimeEvent::ParticipantRemoved(MemberChange {
            conversation_id: c,
            user_id: u,
            by: u,
        }),
        RealtimeEvent::NotificationCreated(NotificationView::from(&notification)),
        RealtimeEvent::CaseUpdated(CaseSummary {
            conversation_id: c,
            business_id: BusinessId::from_uuid(uuid::Uuid::nil()),
            team_id: TeamId::from_uuid(uuid::Uuid::nil()),
            state: CaseState::Assigned,
            agent_id: Some(u),
            priority: 1,
            escalated: true,
        }),
        RealtimeEvent::AgentUpdated {
            business_id: BusinessId::from_uuid(uuid::Uuid::nil()),
            user_id: u,
            status: AgentStatus::Available,
            capacity: 3,
        },
        RealtimeEvent::EVENTS_MISSED,
        RealtimeEvent::ResyncRequired {
            conversation_id: Some(c),
            from_seq: Some(4),
            to_seq: Some(2),
            reason: "unknown_seq".into(),
        },
    ];
    for event in &events {
        match event {
            RealtimeEvent::MessageCreated(_)
            | RealtimeEvent::MessageUpdated(_)
            | RealtimeEvent::MessageDeleted(_)
            | RealtimeEvent::ReactionAdded(_)
            | RealtimeEvent::ReactionRemoved(_)
            | RealtimeEvent::Read(_)
            | RealtimeEvent::Delivered(_)
            | RealtimeEvent::Typing { .. }
            | RealtimeEvent::Presence(_)
            | RealtimeEvent::ConversationCreated { .. }
            | RealtimeEvent::ConversationUpdated { .. }
            | RealtimeEvent::ConversationDeleted { .. }
            | RealtimeEvent::ParticipantAdded(_)
            | RealtimeEvent::ParticipantRemoved(_)
            | RealtimeEvent::NotificationCreated(_)
            | RealtimeEvent::CaseUpdated(_)
            | RealtimeEvent::AgentUpdated { .. }
            | RealtimeEvent::ResyncRequired { .. } => {}
        }
    }
    events
}

#[test]
fn every_event_the_server_sends_is_described() {
    let doc = doc();
    for event in every_event() {
        let frame = event.frame();
        let value: Value = serde_json::from_str(&frame).unwrap();
        let kind = value["type"].as_str().unwrap();
        check(&doc, &format!("event.{kind}"), &frame);
        assert_eq!(frame_kind(&frame), kind, "a metric label for every event");
    }
    let events = doc["components"]["messages"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("event."))
        .count();
    assert_eq!(events, 18, "one message per event type");
}

#[test]
fn every_event_reads_back_as_the_frame_it_was() {
    for event in every_event() {
        let frame = event.frame();
        let back: RealtimeEvent = serde_json::from_str(&frame).unwrap();
        assert_eq!(back.frame(), frame);
    }
}

#[test]
fn every_command_has_its_message_ack_and_error() {
    let doc = doc();
    for kind in protocol::COMMAND_TYPES {
        let operation = &doc["operations"][format!("command.{kind}")];
        assert_eq!(operation["action"], "receive", "{kind}");
        let replies = operation["reply"]["messages"].as_array().unwrap();
        assert_eq!(replies.len(), 2, "{kind}");
        let payload = &doc["components"]["messages"][format!("command.{kind}")]["payload"];
        assert_eq!(payload["properties"]["type"]["const"], *kind);
    }
    let send = json!({"type": "message.send", "ref": 7, "conversation_id": Uuid::nil(), "content": "hi", "client_message_id": "c-1"});
    check(&doc, "command.message.send", &send.to_string());
    check(&doc, "command.ping", r#"{"type":"ping","ref":"a"}"#);
    let ready = protocol::ready(Ready {
        user_id: Uuid::nil(),
        connection_id: 4,
    });
    check(&doc, "ready", &ready);
    check(
        &doc,
        "error",
        &protocol::error(&json!(7), "not_found", "No such conversation."),
    );
    check(
        &doc,
        "error",
        &protocol::error(&Value::Null, "invalid_json", "The frame is not JSON."),
    );
    let sent = Acked::Sent(Box::new(SendAck {
        created: true,
        message: message_view(false),
    }));
    check(&doc, "ack.message.send", &protocol::ack(&json!(1), sent));
    check(
        &doc,
        "ack.typing.start",
        &protocol::ack(&json!(1), Acked::Done(EmptyAck {})),
    );
}

#[test]
fn an_undocumented_field_fails_the_check() {
    let doc = doc();
    let frame = r#"{"type":"conversation.created","data":{"conversation_id":"00000000-0000-0000-0000-000000000000","name":"x"}}"#;
    let payload = &doc["components"]["messages"]["event.conversation.created"]["payload"];
    let value: Value = serde_json::from_str(frame).unwrap();
    assert!(
        conforms(&doc, payload, &value)
            .unwrap_err()
            .contains("`name` undocumented")
    );
}

#[test]
fn schemas_rest_shares_are_the_same_in_both_documents() {
    let asyncapi = doc();
    let openapi = crate::presentation::http::openapi::document();
    let shared: Vec<&String> = asyncapi["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, schema)| {
            let rest = &openapi["components"]["schemas"][name.as_str()];
            assert!(rest.is_null() || rest == *schema, "{name} differs");
            !rest.is_null()
        })
        .map(|(name, _)| name)
        .collect();
    for name in [
        "MessageResponse",
        "ReactionResponse",
        "NotificationResponse",
    ] {
        assert!(shared.iter().any(|s| *s == name), "{name} is shared");
    }
}
