//! GraphQL over WebSocket (`graphql-transport-ws`): async-graphql runs the protocol, this
//! relays its frames over the socket (`ws/socket.rs`). The caller is known from the upgrade's bearer token or
//! from `connection_init`'s payload (`{"token": "…"}`); a bad token closes with 4403.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::subscriptions::Subscriptions;
use super::{Endpoint, Viewer, loaders};
use crate::presentation::http::AppState;
use crate::presentation::http::extract::{ClientMeta, bearer_token};
use crate::presentation::http::problem::Problem;
use crate::presentation::upgrade;
use crate::presentation::ws::socket::{CloseCode, CloseReason, Frames, Incoming, Session};
use crate::telemetry::statements::StatementCount;

/// The one protocol spoken; the legacy `graphql-ws` one is refused.
const PROTOCOL: WebSocketProtocols = WebSocketProtocols::GraphQLWS;

/// A WebSocket upgrade speaks `graphql-transport-ws`; a plain GET is the GraphiQL page
/// (vendored in `web/app/graphiql`, nothing fetched from elsewhere).
#[get("/graphql")]
pub async fn subscribe(
    req: HttpRequest,
    meta: ClientMeta,
    state: web::Data<AppState>,
    endpoint: web::Data<Endpoint>,
) -> Result<HttpResponse, actix_web::Error> {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return Ok(crate::presentation::web::serve(&req, "graphiql/index.html"));
    }
    let offered = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !offered
        .split(',')
        .any(|p| p.trim() == PROTOCOL.sec_websocket_protocol())
    {
        let detail = "Offer the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol).";
        return Err(
            Problem::new(StatusCode::BAD_REQUEST, "unsupported_subprotocol", detail).into(),
        );
    }
    state
        .realtime
        .admission
        .upgrade(meta.ip.as_deref())
        .await
        .map_err(Problem::from)?;
    let mut data = Data::default();
    data.insert(loaders(&state, StatementCount::default()));
    data.insert(Arc::new(Subscriptions::default()));
    data.insert(meta);
    if let Some(token) = bearer_token(&req) {
        let claims = state.auth.authenticate.handle(&token).await;
        data.insert(Viewer(claims.map_err(Problem::from)?));
    }
    let mut response = upgrade::accept(&req, move |session, frames| {
        relay(state, endpoint, session, frames, data)
    })?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        header::HeaderValue::from_static(PROTOCOL.sec_websocket_protocol()),
    );
    Ok(response)
}

/// Text frames in flight to the protocol.
const INCOMING: usize = 16;

async fn relay(
    state: web::Data<AppState>,
    endpoint: web::Data<Endpoint>,
    mut session: Session,
    mut frames: Frames,
    data: Data,
) {
    let options = state.realtime.options.clone();
    // Text frames go to the protocol; pings are answered here; anything else ends the input.
    let (texts, received) = mpsc::channel::<String>(INCOMING);
    let mut texts = Some(texts);
    let incoming = futures_util::stream::unfold(received, |mut received| async move {
        received.recv().await.map(|text| (text, received))
    });
    let mut last_heard = Instant::now();
    let authenticate = state.clone();
    // The protocol says 4403 for a refused `connection_init`; async-graphql closes with 1002.
    let refused = Arc::new(AtomicBool::new(false));
    let refusing = refused.clone();
    let protocol = WebSocket::new(endpoint.schema.clone(), incoming, PROTOCOL)
        .connection_data(data)
        .on_connection_init(move |payload| async move {
            let mut data = Data::default();
            if let Some(token) = payload.get("token").and_then(|t| t.as_str()) {
                let claims = authenticate.auth.authenticate.handle(token).await;
                let claims = claims.inspect_err(|_| refusing.store(true, Ordering::Relaxed));
                data.insert(Viewer(claims.map_err(async_graphql::Error::from)?));
            }
            Ok(data)
        });
    let mut protocol = std::pin::pin!(protocol);
    let mut shutdown = state.realtime.shutdown.clone();
    let init_deadline = tokio::time::sleep(options.auth_timeout);
    let mut init_deadline = std::pin::pin!(init_deadline);
    let mut acked = false;
    let mut heartbeat = tokio::time::interval(options.ping_interval);
    heartbeat.tick().await;
    let close = loop {
        tokio::select! {
            frame = frames.recv(), if texts.as_ref().is_some_and(|t| t.capacity() > 0) => {
                last_heard = Instant::now();
                match frame {
                    Some(Ok(Incoming::Text(text))) => {
                        // Room was checked above, and only this loop sends.
                        let _ = texts.as_ref().map(|t| t.try_send(text.to_string()));
                    }
                    Some(Ok(Incoming::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Incoming::Pong(_))) => {}
                    _ => texts = None,
                }
            }
            message = protocol.next() => match message {
                Some(WsMessage::Text(text)) => {
                    acked = acked || text.starts_with(r#"{"type":"connection_ack""#);
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(1002, reason)) if refused.load(Ordering::Relaxed) => {
                    break Some(CloseReason { code: CloseCode::Other(4403), description: Some(reason) });
                }
                Some(WsMessage::Close(code, reason)) => {
                    break Some(CloseReason { code: CloseCode::Other(code), description: Some(reason) });
                }
                None => break None,
            },
            () = &mut init_deadline, if !acked => {
                break Some(CloseReason { code: CloseCode::Other(4408), description: Some("connection initialisation timeout".into()) });
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > options.idle_timeout {
                    break Some(CloseReason { code: CloseCode::Other(4000), description: Some("no traffic".into()) });
                }
                if session.ping(b"").await.is_err() {
                    return;
                }
            }
            _ = shutdown.changed() => {
                break Some(CloseReason { code: CloseCode::Away, description: Some("server shutting down".into()) });
            }
        }
    };
    let _ = session.close(close).await;
}
