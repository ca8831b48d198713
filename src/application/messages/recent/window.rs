//! One conversation's window of newest messages, and what moka weighs it by.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

use super::{CachedPage, WINDOW};
use crate::domain::messages::{HistoryRange, ReactedMessage};
use crate::domain::shared::UserId;

/// The newest messages of one conversation as they are at (`last_seq`, `version`).
pub(super) struct Window {
    pub(super) last_seq: i64,
    pub(super) version: i64,
    /// Ascending, gap-free, ending at `last_seq`.
    pub(super) messages: VecDeque<ReactedMessage>,
    /// Once it matched the database's state read after its insertion, it was exact then, and
    /// the log has kept it so since. (A window filled from a read older than a change whose
    /// event came before its insertion matches only states read before the change.)
    pub(super) trusted: bool,
    /// The insertion count just after it was inserted (`u64::MAX` until then).
    pub(super) born: u64,
    /// Members since the window's creation and still, as far as the log has told.
    pub(super) readers: HashSet<UserId>,
}

impl Window {
    pub(super) fn first_seq(&self) -> i64 {
        self.last_seq - self.messages.len() as i64 + 1
    }

    fn holds(&self, seq: i64) -> bool {
        seq >= self.first_seq() && seq <= self.last_seq
    }

    /// The seqs `range` reads, from and to, and whether more lie beyond, if the window holds
    /// them. Seqs are gap-free from 1, so whether more lie beyond needs no row.
    pub(super) fn bounds(&self, range: HistoryRange) -> Option<(i64, i64, bool)> {
        let last_seq = self.last_seq;
        let limit = i64::try_from(range.limit).ok()?;
        // The newest seq the range may reach.
        let upper = range
            .before_seq
            .map_or(last_seq, |before| (before - 1).min(last_seq));
        let (from, to, has_more) = match range.after_seq {
            Some(after) => {
                let to = after.saturating_add(limit).min(upper);
                (after + 1, to, to < upper)
            }
            None => {
                let from = (upper - limit + 1).max(1);
                (from, upper, from > 1)
            }
        };
        if from > to {
            return Some((from, to, false));
        }
        self.holds(from).then_some((from, to, has_more))
    }

    pub(super) fn page(&self, range: HistoryRange) -> Option<CachedPage> {
        let (from, to, has_more) = self.bounds(range)?;
        Some(CachedPage {
            messages: if from > to {
                Vec::new()
            } else {
                self.slice(from, to)
            },
            has_more,
        })
    }

    fn slice(&self, from: i64, to: i64) -> Vec<ReactedMessage> {
        let skip = (from - self.first_seq()) as usize;
        let take = (to - from + 1).max(0) as usize;
        self.messages
            .iter()
            .skip(skip)
            .take(take)
            .cloned()
            .collect()
    }
}

/// Bytes a window takes once full, roughly (it grows after it is weighed): what moka weighs
/// it by.
pub(super) fn weight(messages: &VecDeque<ReactedMessage>) -> u32 {
    let bytes: usize = messages
        .iter()
        .map(|m| {
            256 + m.message.content().len()
                + m.reactions
                    .iter()
                    .map(|r| 32 + 16 * r.users.len())
                    .sum::<usize>()
        })
        .sum();
    let per_message = bytes.checked_div(messages.len()).unwrap_or(320);
    u32::try_from(128 + per_message * WINDOW).unwrap_or(u32::MAX)
}

pub(super) fn lock(window: &Mutex<Window>) -> MutexGuard<'_, Window> {
    // A panic while a window was changed leaves nothing half-done worth keeping it for, but
    // the window is dropped by the next mismatch anyway: keep serving.
    window
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
