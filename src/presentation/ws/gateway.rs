//! One task per WebSocket connection: authenticate, register with the hub, then relay queued
//! events out and commands in until either side stops.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use bytestring::ByteString;
use governor::{DefaultDirectRateLimiter, Quota};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use super::frames::{
    Acked, AuthAck, EmptyAck, PongAck, PresenceQueryAck, PresenceSetAck, ReadAck, Ready, SendAck,
    SyncAck,
};
use super::protocol::{self, ClientCommand, PresenceChoice, SyncResult};
use crate::application::error::AppError;
use crate::application::messages::SendMessage;
use crate::application::ports::AccessClaims;
use crate::application::realtime::{
    Admission, CatchUp, Dispatcher, Hub, PresenceStatus, PresenceTracker, RealtimeEvent, Replayed,
    SyncEntry, Typing,
};
use crate::domain::messages::{ClientMessageId, MessageContent};
use crate::domain::shared::{AttachmentId, ConversationId, MessageId, UserId};
use crate::presentation::http::AppState;
use crate::presentation::http::extract::{ClientMeta, bearer_token};
use crate::presentation::http::problem::Problem;

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

const CLOSE_UNAUTHENTICATED: u16 = 4001;
const CLOSE_TIMEOUT: u16 = 4000;
const CLOSE_TOO_SLOW: u16 = 4008;
const CLOSE_SESSION_ENDED: u16 = 4003;
const CLOSE_TOO_MANY: u16 = 4029;
/// Replayed frames buffered ahead of the socket: the replay waits for a slow client.
const SYNC_QUEUE: usize = 32;

fn close_reason(code: u16, description: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code: CloseCode::Other(code),
        description: Some(description.to_owned()),
    })
}

/// Why the server closed a connection, as a metric label; `client` when it did not.
fn close_label(close: Option<&CloseReason>) -> &'static str {
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
    body: web::Payload,
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
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream
        .max_frame_size(64 * 1024)
        .aggregate_continuations()
        .max_continuation_size(256 * 1024);
    actix_web::rt::spawn(run(state.into_inner(), session, stream, claims));
    Ok(response)
}

async fn run(
    state: Arc<AppState>,
    mut session: Session,
    mut stream: AggregatedMessageStream,
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
    Live {
        state: state.clone(),
        claims,
        session,
        replayed: HashMap::new(),
        live_sent: HashSet::new(),
        catching_up: None,
        too_slow: false,
    }
    .serve(stream, connection, auth_ref)
    .instrument(span)
    .await;
}

/// Waits for the first frame to be a valid `auth` command; `reference` takes its `ref`, for
/// the ack that precedes `ready`.
async fn authenticate(
    state: &AppState,
    session: &mut Session,
    stream: &mut AggregatedMessageStream,
    reference: &mut Option<Value>,
) -> Option<AccessClaims> {
    loop {
        match stream.recv().await? {
            Ok(AggregatedMessage::Text(text)) => {
                let value: Value = serde_json::from_str(&text).ok()?;
                *reference = Some(value.get("ref").cloned().unwrap_or(Value::Null));
                let Ok(ClientCommand::Auth { token }) = serde_json::from_value(value) else {
                    return None;
                };
                return state.auth.authenticate.handle(&token).await.ok();
            }
            Ok(AggregatedMessage::Ping(bytes)) => session.pong(&bytes).await.ok()?,
            Ok(AggregatedMessage::Pong(_)) => {}
            _ => return None,
        }
    }
}

struct Live {
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
    fn me(&self) -> UserId {
        self.claims.user_id
    }

    async fn serve(
        mut self,
        mut stream: AggregatedMessageStream,
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
                        Some(Ok(AggregatedMessage::Text(text))) => {
                            let reply = if limiter.check().is_ok() {
                                Box::pin(self.command(&text)).await
                            } else {
                                Some(protocol::error(&reference(&text), "rate_limited", "Too many commands; slow down."))
                            };
                            if let Some(reply) = reply {
                                open = self.write(reply).await;
                            }
                        }
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            let reply = protocol::error(&Value::Null, "unsupported_frame", "Send JSON text frames.");
                            open = self.write(reply).await;
                        }
                        Some(Ok(AggregatedMessage::Ping(bytes))) => open = self.session.pong(&bytes).await.is_ok(),
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        Some(Ok(AggregatedMessage::Close(_))) | Some(Err(_)) | None => open = false,
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
        let now = self.state.clock.now();
        if Box::pin(realtime.presence.store().disconnect(me, &key, now)).await {
            Box::pin(self.announce_presence(PresenceStatus::Offline)).await;
            if let Err(error) = Box::pin(self.state.business.agents.went_offline(me)).await {
                tracing::warn!(error = %format!("{error:#}"), "agent status not set offline");
            }
        }
        // A slow client takes the close frame only once it reads what is queued before it:
        // wait for that off this task, for a bounded time.
        let session = self.session.clone();
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

    /// Runs one command; the answer is an `ack` or an `error` frame, never a closed connection.
    /// `None` when the answer comes later (a sync's ack follows its replay).
    async fn command(&mut self, text: &str) -> Option<String> {
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
                let command = SendMessage {
                    conversation_id: ConversationId::from_uuid(conversation_id),
                    content,
                    client_message_id,
                    reply_to: reply_to.map(MessageId::from_uuid),
                    mentions: mentions.into_iter().map(UserId::from_uuid).collect(),
                    attachment_ids: attachment_ids
                        .into_iter()
                        .map(AttachmentId::from_uuid)
                        .collect(),
                };
                let (view, created) = state.messages.commands.send(me, command).await?;
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
                    .markers
                    .read(me, ConversationId::from_uuid(conversation_id), seq)
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
    async fn replayed(&mut self, item: Option<Replayed>) -> bool {
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
                let (id, seq) = (view.message.conversation_id, view.message.seq);
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

/// The next item of the running sync, if any; pending for ever when none runs.
async fn next_replayed(
    catching_up: &mut Option<(Value, mpsc::Receiver<Replayed>)>,
) -> Option<Replayed> {
    match catching_up {
        Some((_, receiver)) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// The `ref` of a frame, when it is readable at all.
fn reference(text: &str) -> Value {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("ref").cloned())
        .unwrap_or(Value::Null)
}
