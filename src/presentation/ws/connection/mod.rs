//! One task per WebSocket connection: relay queued events out and commands in until either
//! side stops; the commands themselves are in `commands.rs`.

mod commands;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use bytestring::ByteString;
use governor::{DefaultDirectRateLimiter, Quota};
use serde_json::Value;
use tokio::sync::mpsc;

use super::frames::{Acked, AuthAck, Ready};
use super::gateway::{
    CLOSE_SESSION_ENDED, CLOSE_TIMEOUT, CLOSE_TOO_SLOW, close_label, close_reason,
};
use super::protocol;
use super::socket::{CloseCode, CloseReason, Frames, Incoming, Session};
use crate::application::ports::AccessClaims;
use crate::application::realtime::{PresenceStatus, Replayed};
use crate::domain::shared::{ConversationId, UserId};
use crate::presentation::http::AppState;

pub(super) struct Live {
    state: Arc<AppState>,
    claims: AccessClaims,
    session: Session,
    /// How far `sync` replayed each conversation: live copies of those messages are dropped,
    /// so a catch-up delivers each message exactly once.
    replayed: HashMap<ConversationId, i64>,
    /// Messages sent live, so that a `sync` racing with them does not send them again.
    live_sent: HashSet<(ConversationId, i64)>,
    /// The running sync's `ref` and replay, drained between live events.
    catching_up: Option<(Value, mpsc::Receiver<Replayed>)>,
    too_slow: bool,
}

/// Most live messages remembered for `sync`; past it a client may see a message twice (it
/// dedupes by seq) but never misses one.
const LIVE_SENT_MAX: usize = 4096;

impl Live {
    pub(super) fn new(state: Arc<AppState>, claims: AccessClaims, session: Session) -> Self {
        Self {
            state,
            claims,
            session,
            replayed: HashMap::new(),
            live_sent: HashSet::new(),
            catching_up: None,
            too_slow: false,
        }
    }

    fn me(&self) -> UserId {
        self.claims.user_id
    }

    pub(super) async fn serve(
        mut self,
        mut stream: Frames,
        mut connection: crate::application::realtime::Connection,
        auth_ref: Option<Value>,
    ) {
        let state = self.state.clone();
        let realtime = &state.realtime;
        let key = connection.id.to_string();
        let me = self.me();
        // Rare steps run boxed, so that an idle connection's task holds only the loop's state.
        if Box::pin(realtime.presence.store().connect(me, &key)).await {
            Box::pin(self.announce_presence(PresenceStatus::Online)).await;
        }
        tracing::debug!("connected");
        if let Some(reference) = auth_ref {
            let user_id = me.as_uuid();
            self.write(protocol::ack(&reference, Acked::Auth(AuthAck { user_id })))
                .await;
        }
        let ready = protocol::ready(Ready {
            user_id: me.as_uuid(),
            connection_id: connection.id,
        });
        let mut open = self.write(ready).await;

        let options = realtime.options.clone();
        let limiter = DefaultDirectRateLimiter::direct(
            Quota::per_second(
                NonZeroU32::new(options.commands_per_second).unwrap_or(NonZeroU32::MIN),
            )
            .allow_burst(NonZeroU32::new(options.command_burst).unwrap_or(NonZeroU32::MIN)),
        );
        let mut shutdown = realtime.shutdown.clone();
        let mut heartbeat = tokio::time::interval(options.ping_interval);
        heartbeat.tick().await;
        let mut last_heard = Instant::now();
        let mut close = None;

        while open && !self.too_slow {
            tokio::select! {
                frame = stream.recv() => {
                    last_heard = Instant::now();
                    match frame {
                        Some(Ok(Incoming::Text(text))) => {
                            let reply = if limiter.check().is_ok() {
                                Box::pin(self.command(&text)).await
                            } else {
                                Some(protocol::error(&reference(&text), "rate_limited", "Too many commands; slow down."))
                            };
                            if let Some(reply) = reply {
                                open = self.write(reply).await;
                            }
                        }
                        Some(Ok(Incoming::Binary(_))) => {
                            let reply = protocol::error(&Value::Null, "unsupported_frame", "Send JSON text frames.");
                            open = self.write(reply).await;
                        }
                        Some(Ok(Incoming::Ping(bytes))) => open = self.session.pong(&bytes).await.is_ok(),
                        Some(Ok(Incoming::Pong(_))) => {}
                        Some(Ok(Incoming::Close(_))) | Some(Err(_)) | None => open = false,
                    }
                }
                outbound = connection.receiver.recv() => {
                    let Some(outbound) = outbound else { break };
                    if let Some(receipt) = outbound.receipt
                        && self.replayed.get(&receipt.conversation_id).is_some_and(|seq| receipt.seq <= *seq)
                    {
                        continue;
                    }
                    if let Some(receipt) = outbound.receipt
                        && self.live_sent.len() < LIVE_SENT_MAX
                    {
                        self.live_sent.insert((receipt.conversation_id, receipt.seq));
                    }
                    if let Some(receipt) = outbound.receipt.filter(|r| r.sender != me) {
                        self.state.messages.delivered.record(me, receipt.conversation_id, receipt.seq);
                    }
                    open = self.write(outbound.payload.clone()).await;
                }
                item = next_replayed(&mut self.catching_up) => open = Box::pin(self.replayed(item)).await,
                () = connection.overflow.notified() => {
                    tracing::info!("client too slow; closing");
                    close = close_reason(CLOSE_TOO_SLOW, "too slow: reconnect and catch up by seq");
                    open = false;
                }
                () = connection.ended.notified() => {
                    tracing::info!("session ended; closing");
                    close = close_reason(CLOSE_SESSION_ENDED, "session ended: sign in again");
                    open = false;
                }
                _ = heartbeat.tick() => {
                    // Clients answer pings, so this much silence means the peer is gone.
                    if last_heard.elapsed() > options.idle_timeout {
                        close = close_reason(CLOSE_TIMEOUT, "no traffic");
                        open = false;
                    } else {
                        Box::pin(realtime.presence.store().refresh(me, &key)).await;
                        open = self.ping().await;
                    }
                }
                _ = shutdown.changed() => {
                    close = Some(CloseReason { code: CloseCode::Away, description: Some("server shutting down".into()) });
                    open = false;
                }
            }
        }

        if self.too_slow {
            tracing::info!("client too slow; closing");
            close = close_reason(CLOSE_TOO_SLOW, "too slow: reconnect and catch up by seq");
        }
        realtime.hub.unregister(me, connection.id);
        metrics::counter!("ws_closed_total", "reason" => close_label(close.as_ref())).increment(1);
        // What this socket received is on record before its user may read as offline: the
        // notifications reader skips what reached a device.
        if let Err(error) = Box::pin(self.state.messages.delivered.flush_user(me)).await {
            tracing::warn!(%error, "delivered markers not written");
        }
        let now = self.state.clock.now();
        if Box::pin(realtime.presence.store().disconnect(me, &key, now)).await {
            Box::pin(self.announce_presence(PresenceStatus::Offline)).await;
            if let Err(error) = Box::pin(self.state.business.go_offline.handle(me)).await {
                tracing::warn!(error = %format!("{error:#}"), "agent status not set offline");
            }
        }
        // A slow client takes the close frame only once it reads what is queued before it:
        // wait for that off this task, for a bounded time.
        let session = self.session;
        let grace = options.close_grace;
        actix_web::rt::spawn(async move {
            let _ = tokio::time::timeout(grace, session.close(close)).await;
        });
        tracing::debug!("disconnected");
    }

    /// Sends a frame; `false` when the connection is gone or the client stopped reading.
    async fn write(&mut self, frame: impl Into<ByteString>) -> bool {
        let timeout = self.state.realtime.options.write_timeout;
        let sent = tokio::time::timeout(timeout, self.session.text(frame)).await;
        self.taken(sent)
    }

    /// Like `write`: a ping the client does not take in time marks it as too slow too.
    async fn ping(&mut self) -> bool {
        let timeout = self.state.realtime.options.write_timeout;
        let sent = tokio::time::timeout(timeout, self.session.ping(b"")).await;
        self.taken(sent)
    }

    fn taken<E>(&mut self, sent: Result<Result<(), E>, tokio::time::error::Elapsed>) -> bool {
        match sent {
            Ok(sent) => sent.is_ok(),
            Err(_) => {
                self.too_slow = true;
                false
            }
        }
    }

    async fn announce_presence(&self, status: PresenceStatus) {
        let realtime = &self.state.realtime;
        let now = self.state.clock.now();
        realtime
            .presence
            .announce(&realtime.dispatcher, self.me(), status, now)
            .await;
    }
}

/// The next item of the running sync, if any; pending for ever when none runs.
pub(super) async fn next_replayed(
    catching_up: &mut Option<(Value, mpsc::Receiver<Replayed>)>,
) -> Option<Replayed> {
    match catching_up {
        Some((_, receiver)) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// The `ref` of a frame, when it is readable at all.
pub(super) fn reference(text: &str) -> Value {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("ref").cloned())
        .unwrap_or(Value::Null)
}
