//! Many readers at once, for the read scenarios: each its own task, optionally paced. A
//! reader still waiting for its previous answer when the next request falls due measures that
//! request from when it was due (so a stalled server is not hidden by readers that simply
//! waited); a reader that was idle measures from when it sent, since tokio's timer wakes on
//! whole milliseconds and that lateness is the generator's, not the server's.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::report;

/// How long the read scenarios wait for the server to finish what seeding caused.
const SETTLE: Duration = Duration::from_secs(120);

/// Waits for the server to finish what seeding caused before the measured phase, and says so.
pub async fn settle(api: &crate::api::Api) {
    let started = Instant::now();
    if api.settle(SETTLE).await {
        let waited = started.elapsed().as_secs_f64();
        eprintln!("the server's event log readers caught up in {waited:.1} s");
    } else {
        eprintln!("the server's event log readers did not catch up; measuring anyway");
    }
}

pub struct Readings {
    pub latency: Histogram<u64>,
    /// The same latencies split by the class of each request (see `run`).
    pub by_class: Vec<Histogram<u64>>,
    pub errors: u64,
    pub elapsed: Duration,
}

/// Runs `requests` calls of `read(i)` spread over `readers` tasks. With `rate` (requests per
/// second over all readers), each reader sends on a fixed schedule; without it, each sends its
/// next request when the previous one is answered. Request `i` is of class `i % classes`.
pub async fn run<F, Fut>(
    readers: usize,
    requests: usize,
    rate: Option<u32>,
    classes: usize,
    read: F,
) -> Readings
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let readers = readers.clamp(1, requests.max(1));
    let read = Arc::new(read);
    let interval =
        rate.map(|rate| Duration::from_secs_f64(readers as f64 / f64::from(rate.max(1))));
    let started = Instant::now();
    let tasks: Vec<_> = (0..readers)
        .map(|reader| {
            let read = read.clone();
            tokio::spawn(async move {
                let mut latency: Vec<Histogram<u64>> =
                    (0..classes).map(|_| report::histogram()).collect();
                let mut errors = 0;
                // Readers start spread over one interval, not all at once.
                let offset = interval.map(|i| i.mul_f64(reader as f64 / readers as f64));
                for (n, i) in (reader..requests).step_by(readers).enumerate() {
                    let sent = match (interval, offset) {
                        (Some(interval), Some(offset)) => {
                            let due = started + offset + interval * n as u32;
                            let behind = Instant::now() >= due;
                            tokio::time::sleep_until(due.into()).await;
                            // Behind because the server held the previous request: that wait
                            // counts. Late only because the timer wakes on whole milliseconds:
                            // the generator's own delay, not the server's.
                            if behind { due } else { Instant::now() }
                        }
                        _ => Instant::now(),
                    };
                    if let Err(error) = read(i).await {
                        errors += 1;
                        eprintln!("{error:#}");
                    }
                    report::record(&mut latency[i % classes], sent.elapsed());
                }
                (latency, errors)
            })
        })
        .collect();
    let mut readings = Readings {
        latency: report::histogram(),
        by_class: (0..classes).map(|_| report::histogram()).collect(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        match task.await {
            Ok((latency, errors)) => {
                for (class, latency) in latency.iter().enumerate() {
                    readings
                        .latency
                        .add(latency)
                        .expect("histograms of one shape");
                    readings.by_class[class]
                        .add(latency)
                        .expect("histograms of one shape");
                }
                readings.errors += errors;
            }
            Err(error) => {
                readings.errors += 1;
                eprintln!("a reader failed: {error}");
            }
        }
    }
    readings.elapsed = started.elapsed();
    readings
}
