//! The read ports of messages: history pages, receipts and search, as the queries read them.

use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Message, ReactedMessage, Reaction};
use crate::domain::shared::{ConversationId, MessageId, RepoError, UserId};

/// Which slice of history to read, by seq (both bounds exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryRange {
    pub before_seq: Option<i64>,
    pub after_seq: Option<i64>,
    pub limit: u64,
}

/// Where a conversation's history stands: its newest seq, and the count of changes to sent
/// messages (see `Conversation::history_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryState {
    pub last_seq: i64,
    pub version: i64,
}

/// How far one participant has got with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub user_id: UserId,
    pub delivered_at: Option<OffsetDateTime>,
    pub read_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait HistoryQueries: Send + Sync {
    /// Messages in the range with their reactions, ascending by seq, in one statement. With
    /// only `before_seq` (or nothing), the newest `limit` before it; with `after_seq`, the
    /// oldest `limit` after it.
    async fn history(
        &self,
        conversation: ConversationId,
        range: HistoryRange,
    ) -> Result<Vec<ReactedMessage>, RepoError>;

    /// `history`, only if `member` is in the conversation, with the conversation's state as of
    /// the same read. No message says nothing of membership: the range may be empty.
    async fn member_history(
        &self,
        conversation: ConversationId,
        member: UserId,
        range: HistoryRange,
    ) -> Result<(Option<HistoryState>, Vec<ReactedMessage>), RepoError>;

    /// Replies to `root`, ascending by seq, after `after_seq`.
    async fn thread(
        &self,
        conversation: ConversationId,
        root: MessageId,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<Message>, RepoError>;

    /// Reaction counts per message for `ids`, flagged for `viewer`, in one query.
    async fn reactions(
        &self,
        ids: &[MessageId],
        viewer: UserId,
    ) -> Result<HashMap<MessageId, Vec<Reaction>>, RepoError>;
}

#[async_trait]
pub trait ReceiptQueries: Send + Sync {
    /// Every participant but the sender whose delivered or read marker reached `seq`.
    async fn receipts(
        &self,
        conversation: ConversationId,
        seq: i64,
        sender: UserId,
    ) -> Result<Vec<Receipt>, RepoError>;
}

#[async_trait]
pub trait MessageSearch: Send + Sync {
    /// Full-text search over the conversations `user` is in (or just `conversation`), best
    /// match first; deleted messages never match.
    async fn search(
        &self,
        user: UserId,
        query: &str,
        conversation: Option<ConversationId>,
        limit: u64,
    ) -> Result<Vec<Message>, RepoError>;
}
