//! The WebSocket endpoint: upgrade, authenticate, admit, then hand the socket to its
//! connection task (`connection/`).

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde_json::Value;
use tokio::sync::watch;
use tracing::Instrument;

use super::connection::Live;
use super::protocol::ClientCommand;
use super::socket::{CloseCode, CloseReason, Frames, Incoming, Session};
use crate::application::ports::AccessClaims;
use crate::application::realtime::{Admission, CatchUp, Dispatcher, Hub, PresenceTracker, Typing};
use crate::presentation::http::AppState;
use crate::presentation::http::extract::{ClientMeta, bearer_token};
use crate::presentation::http::problem::Problem;
use crate::presentation::upgrade;

/// Tunables of the gateway.
#[derive(Debug, Clone)]
pub struct WsOptions {
    pub auth_timeout: Duration,
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    pub commands_per_second: u32,
    pub command_burst: u32,
    /// A frame the client does not take within this long marks it as too slow (4008).
    pub write_timeout: Duration,
    /// How long a closing connection waits for the client to take its close frame.
    pub close_grace: Duration,
}

/// What the gateway shares across connections.
pub struct Realtime {
    pub admission: Admission,
    pub hub: Arc<Hub>,
    pub presence: PresenceTracker,
    pub typing: Typing,
    pub catch_up: CatchUp,
    pub dispatcher: Dispatcher,
    pub options: WsOptions,
    /// Flips to `true` when the server shuts down: connections close with 1001.
    pub shutdown: watch::Receiver<bool>,
}

pub(super) const CLOSE_UNAUTHENTICATED: u16 = 4001;

pub(super) const CLOSE_TIMEOUT: u16 = 4000;

pub(super) const CLOSE_TOO_SLOW: u16 = 4008;

pub(super) const CLOSE_SESSION_ENDED: u16 = 4003;

pub(super) const CLOSE_TOO_MANY: u16 = 4029;

/// Replayed frames buffered ahead of the socket: the replay waits for a slow client.
pub(super) const SYNC_QUEUE: usize = 32;

pub(super) fn close_reason(code: u16, description: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code: CloseCode::Other(code),
        description: Some(description.to_owned()),
    })
}

/// Why the server closed a connection, as a metric label; `client` when it did not.
pub(super) fn close_label(close: Option<&CloseReason>) -> &'static str {
    match close.map(|c| c.code) {
        None => "client",
        Some(CloseCode::Other(CLOSE_TOO_SLOW)) => "too_slow",
        Some(CloseCode::Other(CLOSE_SESSION_ENDED)) => "session_ended",
        Some(CloseCode::Other(CLOSE_TIMEOUT)) => "idle",
        Some(CloseCode::Away) => "shutdown",
        Some(_) => "other",
    }
}

/// Upgrade to the WebSocket gateway. Authenticate with `Authorization: Bearer` on the upgrade,
/// or (browsers) with a first frame `{"type":"auth","token":"…"}` within 10 s.
#[get("/ws")]
pub async fn connect(
    req: HttpRequest,
    meta: ClientMeta,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let admission = &state.realtime.admission;
    admission
        .upgrade(meta.ip.as_deref())
        .await
        .map_err(Problem::from)?;
    let claims = match bearer_token(&req) {
        Some(token) => Some(
            state
                .auth
                .authenticate
                .handle(&token)
                .await
                .map_err(Problem::from)?,
        ),
        None => None,
    };
    if let Some(claims) = &claims {
        admission
            .user(claims.user_id)
            .await
            .map_err(Problem::from)?;
    }
    let state = state.into_inner();
    upgrade::accept(&req, move |session, frames| {
        run(state, session, frames, claims)
    })
}

async fn run(
    state: Arc<AppState>,
    mut session: Session,
    mut stream: Frames,
    claims: Option<AccessClaims>,
) {
    let timeout = state.realtime.options.auth_timeout;
    // Known at the upgrade, the user's socket count was checked there already.
    let from_frame = claims.is_none();
    let mut auth_ref = None;
    let claims = match claims {
        Some(claims) => Some(claims),
        None => Box::pin(tokio::time::timeout(
            timeout,
            authenticate(&state, &mut session, &mut stream, &mut auth_ref),
        ))
        .await
        .ok()
        .flatten(),
    };
    let Some(claims) = claims else {
        let _ = session
            .close(close_reason(
                CLOSE_UNAUTHENTICATED,
                "authentication required",
            ))
            .await;
        return;
    };
    if from_frame
        && Box::pin(state.realtime.admission.user(claims.user_id))
            .await
            .is_err()
    {
        let _ = session
            .close(close_reason(CLOSE_TOO_MANY, "too many connections"))
            .await;
        return;
    }
    let connection = Box::pin(
        state
            .realtime
            .dispatcher
            .connect(claims.user_id, claims.session_id),
    )
    .await;
    // The session may have ended between authentication and registration, before the socket
    // could hear of it: look once more now that it would.
    let live = Box::pin(state.auth.authenticate.still_live(&claims)).await;
    if !matches!(live, Ok(true)) {
        state.realtime.hub.unregister(claims.user_id, connection.id);
        let _ = session
            .close(close_reason(CLOSE_SESSION_ENDED, "session ended"))
            .await;
        return;
    }
    let span = tracing::info_span!("ws", user_id = %claims.user_id, connection_id = connection.id);
    Live::new(state.clone(), claims, session)
        .serve(stream, connection, auth_ref)
        .instrument(span)
        .await;
}

/// Waits for the first frame to be a valid `auth` command; `reference` takes its `ref`, for
/// the ack that precedes `ready`.
async fn authenticate(
    state: &AppState,
    session: &mut Session,
    stream: &mut Frames,
    reference: &mut Option<Value>,
) -> Option<AccessClaims> {
    loop {
        match stream.recv().await? {
            Ok(Incoming::Text(text)) => {
                let value: Value = serde_json::from_str(&text).ok()?;
                *reference = Some(value.get("ref").cloned().unwrap_or(Value::Null));
                let Ok(ClientCommand::Auth { token }) = serde_json::from_value(value) else {
                    return None;
                };
                return state.auth.authenticate.handle(&token).await.ok();
            }
            Ok(Incoming::Ping(bytes)) => session.pong(&bytes).await.ok()?,
            Ok(Incoming::Pong(_)) => {}
            _ => return None,
        }
    }
}
