//! What a scenario measured: printed as a table, and as JSON.

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::Value;

use crate::stats::{self, Sample};

#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub backend: String,
    /// The SPEC §6 target, for the reader to compare.
    pub target: &'static str,
    pub parameters: Value,
    pub duration_secs: f64,
    pub operations: u64,
    pub throughput: f64,
    pub throughput_unit: &'static str,
    pub latency: Option<Latency>,
    pub errors: u64,
    pub lost: u64,
    pub server: Option<ServerFigures>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub of: &'static str,
    pub samples: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct ServerFigures {
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
    /// CPU over the measured phase, in percent of one core (the machine has two).
    pub cpu_percent: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_per_connection_kib: Option<f64>,
}

/// A histogram of latencies in microseconds, from 1 µs to 10 minutes.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

pub fn record(histogram: &mut Histogram<u64>, elapsed: std::time::Duration) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    histogram.saturating_record(micros.max(1));
}

impl Latency {
    pub fn of(of: &'static str, histogram: &Histogram<u64>) -> Option<Self> {
        if histogram.is_empty() {
            return None;
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Some(Self {
            of,
            samples: histogram.len(),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        })
    }
}

impl ServerFigures {
    pub fn between(before: Option<Sample>, after: Option<Sample>) -> Option<Self> {
        let (before, after) = (before?, after?);
        Some(Self {
            rss_mib: after.rss_kib as f64 / 1024.0,
            peak_rss_mib: after.peak_rss_kib as f64 / 1024.0,
            cpu_percent: stats::cpu_percent(&before, &after),
            rss_per_connection_kib: None,
        })
    }
}

impl Report {
    pub fn passed(&self) -> bool {
        self.errors == 0 && self.lost == 0
    }

    pub fn print_table(&self) {
        let mut rows: Vec<(String, String)> = vec![
            ("scenario".into(), self.scenario.into()),
            ("backend".into(), self.backend.clone()),
            ("parameters".into(), self.parameters.to_string()),
            ("duration".into(), format!("{:.2} s", self.duration_secs)),
            ("operations".into(), self.operations.to_string()),
            (
                "throughput".into(),
                format!("{:.0} {}", self.throughput, self.throughput_unit),
            ),
        ];
        if let Some(latency) = &self.latency {
            rows.push((
                format!("latency ({})", latency.of),
                format!(
                    "p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2} ms  (n={})",
                    latency.p50_ms,
                    latency.p90_ms,
                    latency.p99_ms,
                    latency.p999_ms,
                    latency.max_ms,
                    latency.samples
                ),
            ));
        }
        rows.push(("errors".into(), self.errors.to_string()));
        rows.push(("lost".into(), self.lost.to_string()));
        if let Some(server) = &self.server {
            rows.push((
                "server".into(),
                format!(
                    "RSS {:.1} MiB (peak {:.1}), CPU {:.0}% of one core",
                    server.rss_mib, server.peak_rss_mib, server.cpu_percent
                ),
            ));
            if let Some(per) = server.rss_per_connection_kib {
                rows.push(("RSS per connection".into(), format!("{per:.1} KiB")));
            }
        }
        rows.push(("target".into(), self.target.into()));
        for note in &self.notes {
            rows.push(("note".into(), note.clone()));
        }
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        eprintln!();
        for (key, value) in rows {
            eprintln!("  {key:<width$}  {value}");
        }
        eprintln!(
            "  {:<width$}  {}",
            "result",
            if self.passed() { "ok" } else { "FAILED" }
        );
        eprintln!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn percentiles_come_from_the_recorded_values() {
        let mut h = histogram();
        for ms in 1..=100 {
            record(&mut h, Duration::from_millis(ms));
        }
        let latency = Latency::of("x", &h).expect("samples");
        assert_eq!(latency.samples, 100);
        assert!((latency.p50_ms - 50.0).abs() < 0.1, "{}", latency.p50_ms);
        assert!((latency.p99_ms - 99.0).abs() < 0.1, "{}", latency.p99_ms);
        assert!((latency.max_ms - 100.0).abs() < 0.1, "{}", latency.max_ms);
        assert!(Latency::of("x", &histogram()).is_none());
    }
}
