use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

use super::EventLog;

/// Whether a local reader has handled every event this instance has committed: the memory it
/// keeps then holds each of this instance's acknowledged writes. On a database only this
/// instance writes (SQLite), that is every write.
///
/// The log's wake-up count rises after each local commit that records events. A read that
/// begins at a count and leaves nothing unhandled proves every commit counted before it
/// handled; the horizon is reached while the count has not risen since.
pub struct Horizon {
    wakeups: watch::Receiver<u64>,
    /// The count such a read began at, shifted left and marked in the low bit (0: none yet).
    caught_up: AtomicU64,
}

impl Horizon {
    pub fn new(log: &dyn EventLog) -> Self {
        Self {
            wakeups: log.wakeups(),
            caught_up: AtomicU64::new(0),
        }
    }

    pub fn reached(&self) -> bool {
        let now = *self.wakeups.borrow();
        self.caught_up.load(Ordering::Acquire) == mark(now)
    }

    /// A read that began at wake-up count `at` and every event before it are handled.
    pub(super) fn caught_up(&self, at: u64) {
        self.caught_up.store(mark(at), Ordering::Release);
    }
}

/// A count as stored: distinct from 0 and from every other count (modulo 2^63).
fn mark(count: u64) -> u64 {
    (count << 1) | 1
}
