//! `Subscription.events`: what the caller's socket would receive, with the same catch-up by
//! seq. Each subscription is a connection of the hub, like a socket: registered before its
//! replay starts, so nothing falls between the two.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::web;
use async_graphql::{Context, InputObject, Result, Subscription};
use futures_util::Stream;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::Viewer;
use super::events::{Event, MessageCreated, ResyncRequired};
use super::messages::Message;
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::application::realtime::{
    Connection, PresenceStatus, RealtimeEvent, Replayed, SYNC_CONVERSATIONS_MAX, SyncEntry,
};
use crate::domain::shared::{ConversationId, UserId};
use crate::presentation::http::AppState;

/// Live `events` subscriptions one socket may hold at once.
pub const SUBSCRIPTIONS_PER_SOCKET: usize = 4;
/// Replayed items buffered ahead of the subscriber.
const REPLAY_QUEUE: usize = 32;

/// How many `events` subscriptions a socket holds; put in its data by the transport.
#[derive(Default)]
pub struct Subscriptions(AtomicUsize);

#[derive(InputObject)]
pub struct Since {
    conversation_id: Uuid,
    /// The highest seq the client holds (0: none).
    seq: i64,
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every event the caller's socket would receive. With `since`, the messages after each
    /// given seq come first (as `MessageCreated`, or a `ResyncRequired` for a range that
    /// cannot be replayed), then live events, each message once. A subscriber too slow to
    /// keep up gets `ResyncRequired` (`too_slow`) and the stream ends.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most 100 conversations.")] since: Option<Vec<Since>>,
    ) -> Result<impl Stream<Item = Result<Event>> + use<>> {
        let claims = ctx
            .data_opt::<Viewer>()
            .map(|viewer| viewer.0)
            .ok_or(AppError::Unauthenticated("missing_token"))?;
        let entries = sync_entries(since.unwrap_or_default())?;
        let held = ctx.data_unchecked::<Arc<Subscriptions>>().clone();
        let state: Arc<AppState> = ctx
            .data_unchecked::<web::Data<AppState>>()
            .clone()
            .into_inner();
        let (registration, connection) = Registration::open(state.clone(), claims, held).await?;
        let realtime = &state.realtime;
        let replay = (!entries.is_empty()).then(|| {
            let (sender, receiver) = mpsc::channel(REPLAY_QUEUE);
            let catch_up = realtime.catch_up.clone();
            let me = claims.user_id;
            tokio::spawn(async move {
                let _ = catch_up.replay(me, entries, &sender).await;
            });
            receiver
        });
        let mut refresh = tokio::time::interval(realtime.options.ping_interval);
        refresh.reset();
        let feed = Feed {
            registration,
            connection,
            refresh,
            replay,
            replayed: HashMap::new(),
            ready: VecDeque::new(),
            done: false,
        };
        Ok(futures_util::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item, feed))
        }))
    }
}

/// The conversations to catch up on, as `since` gives them.
fn sync_entries(since: Vec<Since>) -> Result<Vec<SyncEntry>, AppError> {
    if since.len() > SYNC_CONVERSATIONS_MAX {
        let message = format!("at most {SYNC_CONVERSATIONS_MAX} conversations");
        return Err(AppError::invalid("since", message));
    }
    let entry = |s: Since| SyncEntry {
        conversation_id: ConversationId::from_uuid(s.conversation_id),
        after_seq: s.seq,
    };
    Ok(since.into_iter().map(entry).collect())
}

/// Leaves the hub and the presence store when the subscription ends, however it ends.
struct Registration {
    state: Arc<AppState>,
    user: UserId,
    id: u64,
    held: Arc<Subscriptions>,
}

impl Registration {
    /// Takes one of the socket's subscription places, admits the caller, and joins the hub and
    /// the presence store as a socket does.
    async fn open(
        state: Arc<AppState>,
        claims: AccessClaims,
        held: Arc<Subscriptions>,
    ) -> Result<(Self, Connection), AppError> {
        if held.0.fetch_add(1, Ordering::Relaxed) >= SUBSCRIPTIONS_PER_SOCKET {
            held.0.fetch_sub(1, Ordering::Relaxed);
            return Err(AppError::TooMany("too_many_subscriptions"));
        }
        let (realtime, me) = (&state.realtime, claims.user_id);
        if let Err(error) = realtime.admission.user(me).await {
            held.0.fetch_sub(1, Ordering::Relaxed);
            return Err(error);
        }
        let connection = realtime.dispatcher.connect(me, claims.session_id).await;
        let registration = Self {
            state: state.clone(),
            user: me,
            id: connection.id,
            held,
        };
        // A subscriber is online like a socket: it is told of messages live, not notified.
        if realtime
            .presence
            .store()
            .connect(me, &registration.key())
            .await
        {
            announce(&state, me, PresenceStatus::Online).await;
        }
        Ok((registration, connection))
    }

    /// The connection's key in the presence store.
    fn key(&self) -> String {
        self.id.to_string()
    }
}

async fn announce(state: &AppState, user: UserId, status: PresenceStatus) {
    let (realtime, now) = (&state.realtime, state.clock.now());
    let dispatcher = &realtime.dispatcher;
    realtime
        .presence
        .announce(dispatcher, user, status, now)
        .await;
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.state.realtime.hub.unregister(self.user, self.id);
        self.held.0.fetch_sub(1, Ordering::Relaxed);
        let (state, user, key) = (self.state.clone(), self.user, self.key());
        tokio::spawn(async move {
            // What this subscription received is on record before its user may read as
            // offline: the notifications reader skips what reached a device.
            if let Err(error) = state.messages.delivered.flush_user(user).await {
                tracing::warn!(%error, "delivered markers not written");
            }
            let now = state.clock.now();
            if state
                .realtime
                .presence
                .store()
                .disconnect(user, &key, now)
                .await
            {
                announce(&state, user, PresenceStatus::Offline).await;
                if let Err(error) = state.business.go_offline.handle(user).await {
                    tracing::warn!(error = %format!("{error:#}"), "agent status not set offline");
                }
            }
        });
    }
}

struct Feed {
    registration: Registration,
    connection: Connection,
    /// Keeps the presence store's entry alive, as a socket's pings do.
    refresh: tokio::time::Interval,
    replay: Option<mpsc::Receiver<Replayed>>,
    /// How far the replay went per conversation: live copies up to there are dropped.
    replayed: HashMap<ConversationId, i64>,
    ready: VecDeque<Result<Event>>,
    done: bool,
}

/// What one step of the feed gives: an item (`None`: the stream ends), or nothing yet.
type Step = ControlFlow<Option<Result<Event>>>;

impl Feed {
    async fn next(&mut self) -> Option<Result<Event>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            let step = match &mut self.replay {
                Some(replay) => {
                    let item = replay.recv().await;
                    self.replayed(item)
                }
                None => self.live().await,
            };
            if let ControlFlow::Break(item) = step {
                return item;
            }
        }
    }

    /// One item of the catch-up; `None`: it is over.
    fn replayed(&mut self, item: Option<Replayed>) -> Step {
        match item {
            Some(Replayed::Message(view)) => {
                let (id, seq) = (view.message.conversation_id(), view.message.seq());
                self.replayed.insert(id, seq);
                let message = Message(*view);
                ControlFlow::Break(Some(Ok(Event::MessageCreated(MessageCreated { message }))))
            }
            Some(Replayed::Resync {
                conversation_id,
                from_seq,
                to_seq,
                reason,
            }) => ControlFlow::Break(Some(Ok(Event::ResyncRequired(ResyncRequired {
                conversation_id: Some(conversation_id.as_uuid()),
                from_seq: Some(from_seq),
                to_seq: Some(to_seq),
                reason: reason.to_owned(),
            })))),
            Some(Replayed::Done(outcomes)) => {
                // A conversation that could not be replayed whole answers for itself: read it
                // from `fromSeq` with a query.
                for outcome in outcomes {
                    let reason = match outcome.error {
                        Some(code) => code,
                        None if outcome.has_more => "too_far_behind",
                        None => continue,
                    };
                    let resync = ResyncRequired {
                        conversation_id: Some(outcome.conversation_id.as_uuid()),
                        from_seq: Some(outcome.last_seq),
                        to_seq: None,
                        reason: reason.to_owned(),
                    };
                    self.ready.push_back(Ok(Event::ResyncRequired(resync)));
                }
                self.replay = None;
                ControlFlow::Continue(())
            }
            None => {
                self.replay = None;
                ControlFlow::Continue(())
            }
        }
    }

    /// The next live frame, or what ends the feed.
    async fn live(&mut self) -> Step {
        let me = self.registration.user;
        tokio::select! {
            frame = self.connection.receiver.recv() => {
                let Some(frame) = frame else {
                    return ControlFlow::Break(None);
                };
                if let Some(receipt) = frame.receipt {
                    let id = receipt.conversation_id;
                    if self.replayed.get(&id).is_some_and(|seq| receipt.seq <= *seq) {
                        return ControlFlow::Continue(());
                    }
                    if receipt.sender != me {
                        let state = &self.registration.state;
                        state.messages.delivered.record(me, id, receipt.seq);
                    }
                }
                match serde_json::from_str::<RealtimeEvent>(&frame.payload) {
                    Ok(event) => ControlFlow::Break(Some(Ok(Event::from(event)))),
                    Err(error) => {
                        tracing::error!(%error, "a frame did not read back as an event");
                        ControlFlow::Continue(())
                    }
                }
            }
            () = self.connection.overflow.notified() => {
                self.done = true;
                ControlFlow::Break(Some(Ok(Event::ResyncRequired(ResyncRequired {
                    conversation_id: None,
                    from_seq: None,
                    to_seq: None,
                    reason: "too_slow".to_owned(),
                }))))
            }
            _ = self.refresh.tick() => {
                let store = self.registration.state.realtime.presence.store();
                store.refresh(me, &self.registration.key()).await;
                ControlFlow::Continue(())
            }
            () = self.connection.ended.notified() => {
                self.done = true;
                ControlFlow::Break(Some(Err(AppError::Unauthenticated("session_revoked").into())))
            }
        }
    }
}
