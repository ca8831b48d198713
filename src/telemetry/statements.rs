//! Counts the database statements run for one operation, to find N+1 queries: the count
//! follows the operation's task and the tasks it hands work to through `scope`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    static COUNTER: Arc<AtomicU64>;
}

#[derive(Debug, Clone, Default)]
pub struct StatementCount(Arc<AtomicU64>);

impl StatementCount {
    /// Runs `work`, counting the statements it runs into this count.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        COUNTER.scope(self.0.clone(), work).await
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Called for every statement; counts it when an operation is being counted.
pub fn record() {
    let _ = COUNTER.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_inside_its_scope_only() {
        record();
        let count = StatementCount::default();
        count
            .scope(async {
                record();
                record();
            })
            .await;
        record();
        assert_eq!(count.get(), 2);
    }
}
