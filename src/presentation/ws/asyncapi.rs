//! The AsyncAPI 3 document of the gateway, served at `/api-docs/asyncapi.json`. Its schemas are
//! generated from the frame types (`protocol.rs`, `frames.rs`): each variant of `ClientCommand`
//! and `EventFrame` becomes one message. Schemas that REST shares keep their OpenAPI names.

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, get};
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use super::frames::{
    AuthAck, EmptyAck, ErrorFrame, EventFrame, PongAck, PresenceQueryAck, PresenceSetAck, ReadAck,
    Ready, SendAck, SyncAck,
};
use super::protocol::{COMMAND_TYPES, ClientCommand};

#[derive(OpenApi)]
#[openapi(components(schemas(
    ClientCommand,
    EventFrame,
    ErrorFrame,
    Ready,
    AuthAck,
    PongAck,
    SendAck,
    EmptyAck,
    ReadAck,
    PresenceSetAck,
    PresenceQueryAck,
    SyncAck
)))]
struct Frames;

/// The schema each command's `ack` carries in `data`.
fn ack_schema(command: &str) -> &'static str {
    match command {
        "auth" => "AuthAck",
        "ping" => "PongAck",
        "message.send" => "SendAck",
        "read" => "ReadAck",
        "presence.set" => "PresenceSetAck",
        "presence.query" => "PresenceQueryAck",
        "sync" => "SyncAck",
        _ => "EmptyAck",
    }
}

const PATH: &str = "/api/v1/ws";
const CHANNEL: &str = "#/channels/gateway";

const DESCRIPTION: &str = "The WebSocket gateway. Open it with `Authorization: Bearer <access \
token>` on the upgrade, or (browsers) send `auth` as the first frame within 10 s: its `ack` comes \
first. The server then sends `ready`. Each command may carry a `ref` of any JSON value; its `ack` \
or `error` echoes it. Events carry their `type` and `data`. Messages in a conversation have a \
gap-free `seq`: after a reconnect, send `sync` with the last seq you hold. Close codes: 4000 no \
traffic (answer pings), 4001 not authenticated, 4003 session ended (sign in again), 4008 too \
slow to read (reconnect and `sync`), 4029 too many connections, 1001 server shutting down.";

/// The document for a server reached at `host` (`ws` or `wss` as `scheme`).
pub fn document(scheme: &str, host: &str) -> Value {
    static BODY: LazyLock<Value> = LazyLock::new(build);
    let mut doc = BODY.clone();
    doc["servers"] = json!({
        "chat": {
            "host": host,
            "protocol": scheme,
            "description": "The server that served this document.",
            "security": [{"$ref": "#/components/securitySchemes/bearer"}],
        }
    });
    doc
}

#[get("/api-docs/asyncapi.json")]
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let info = req.connection_info();
    let scheme = if info.scheme() == "https" {
        "wss"
    } else {
        "ws"
    };
    HttpResponse::Ok().json(document(scheme, info.host()))
}

fn build() -> Value {
    let frames = serde_json::to_value(Frames::openapi()).unwrap_or_default();
    let mut schemas = frames["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let commands = variants(schemas.remove("ClientCommand"));
    let events = variants(schemas.remove("EventFrame"));
    if let Some(error) = schemas.get_mut("ErrorFrame") {
        framed(error, "error");
    }

    let mut messages = Map::new();
    let mut operations = Map::new();
    for kind in COMMAND_TYPES {
        let Some((_, payload)) = commands.iter().find(|(k, _)| k == kind) else {
            continue;
        };
        let mut payload = payload.clone();
        payload["properties"]["ref"] = json!({"description": "Echoed in the `ack` or `error`."});
        let summary = take_description(&mut payload);
        let command = format!("command.{kind}");
        let ack = format!("ack.{kind}");
        messages.insert(command.clone(), message(kind, &summary, payload, true));
        let ack_payload = envelope("ack", ack_schema(kind), true);
        messages.insert(ack.clone(), message("ack", "", ack_payload, true));
        operations.insert(
            command.clone(),
            json!({
                "action": "receive",
                "channel": {"$ref": CHANNEL},
                "summary": if summary.is_empty() { format!("`{kind}`") } else { summary },
                "messages": [message_ref(&command)],
                "reply": {
                    "channel": {"$ref": CHANNEL},
                    "messages": [message_ref(&ack), message_ref("error")],
                },
            }),
        );
    }
    let error_payload = json!({"$ref": "#/components/schemas/ErrorFrame"});
    messages.insert(
        "error".into(),
        message("error", "A refused command or frame.", error_payload, true),
    );
    let ready = envelope("ready", "Ready", false);
    messages.insert("ready".into(), message("ready", "", ready, false));
    let mut sent = vec!["ready".to_owned(), "error".to_owned()];
    for (kind, payload) in events {
        let mut payload = payload;
        let summary = take_description(&mut payload);
        let name = format!("event.{kind}");
        messages.insert(name.clone(), message(&kind, &summary, payload, false));
        sent.push(name);
    }
    for name in sent {
        operations.insert(
            format!("send.{name}"),
            json!({
                "action": "send",
                "channel": {"$ref": CHANNEL},
                "messages": [message_ref(&name)],
            }),
        );
    }
    let channel_messages: Map<String, Value> = messages
        .keys()
        .map(|name| {
            (
                name.clone(),
                json!({"$ref": format!("#/components/messages/{name}")}),
            )
        })
        .collect();

    json!({
        "asyncapi": "3.1.0",
        "info": {
            "title": "Chat gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "channels": {
            "gateway": {
                "address": PATH,
                "title": "The gateway",
                "messages": channel_messages,
                "bindings": {"ws": {"method": "GET", "bindingVersion": "0.1.0"}},
            }
        },
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "correlationIds": {
                "ref": {
                    "description": "The command's `ref`, echoed by its `ack` or `error`.",
                    "location": "$message.payload#/ref",
                }
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The access token of `POST /api/v1/auth/login`.",
                }
            },
        },
    })
}

/// The variants of a tagged enum's schema, by the value of their `type`.
fn variants(schema: Option<Value>) -> Vec<(String, Value)> {
    let Some(Value::Array(variants)) = schema.and_then(|mut s| s.get_mut("oneOf").map(Value::take))
    else {
        return Vec::new();
    };
    variants
        .into_iter()
        .filter_map(|mut variant| {
            let kind = variant["properties"]["type"]["enum"][0]
                .as_str()?
                .to_owned();
            variant["properties"]["type"] = json!({"type": "string", "const": kind});
            Some((kind, variant))
        })
        .collect()
}

/// Fixes a frame schema's `type` to `kind` and lets `ref` be any JSON value.
fn framed(schema: &mut Value, kind: &str) {
    schema["properties"]["type"] = json!({"type": "string", "const": kind});
    if schema["properties"].get("ref").is_some() {
        schema["properties"]["ref"] = json!({"description": "The command's `ref`, or `null`."});
    }
}

/// `{"type": kind, ["ref": …,] "data": <schema>}`.
fn envelope(kind: &str, data: &str, with_ref: bool) -> Value {
    let mut payload = json!({
        "type": "object",
        "required": ["type", "data"],
        "properties": {
            "type": {"type": "string", "const": kind},
            "data": {"$ref": format!("#/components/schemas/{data}")},
        },
    });
    if with_ref {
        payload["required"] = json!(["type", "ref", "data"]);
        payload["properties"]["ref"] = json!({"description": "The command's `ref`."});
    }
    payload
}

fn take_description(schema: &mut Value) -> String {
    schema
        .as_object_mut()
        .and_then(|o| o.remove("description"))
        .and_then(|d| d.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn message(name: &str, summary: &str, payload: Value, correlated: bool) -> Value {
    let mut message = json!({"name": name, "title": format!("`{name}`"), "payload": payload});
    if !summary.is_empty() {
        message["summary"] = json!(summary);
    }
    if correlated {
        message["correlationId"] = json!({"$ref": "#/components/correlationIds/ref"});
    }
    message
}

fn message_ref(name: &str) -> Value {
    json!({"$ref": format!("{CHANNEL}/messages/{name}")})
}

#[cfg(test)]
#[path = "asyncapi_tests.rs"]
mod tests;
