//! Per-process counters and latency histograms (issue 15), kept here so that
//! every binding reports the same series under the same names. Plain atomics:
//! recording costs a few relaxed adds per validation and never blocks.
//!
//! Readable as a snapshot ([`snapshot`], JSON for the bindings) and as
//! Prometheus text exposition ([`prometheus_text`]). Per process: PHP-FPM
//! workers, gunicorn and puma workers each keep their own (docs/operations.md
//! says how to aggregate).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde_json::{json, Value};

use crate::{OutcomeCode, ProviderKind};

/// Upper bounds of the latency buckets, in seconds (Prometheus' defaults:
/// loopback calls land in the first, a slow provider in the last ones).
pub const LATENCY_BUCKETS_S: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const PROVIDERS: usize = ProviderKind::ALL.len();
const CODES: usize = OutcomeCode::ALL.len();
/// The replay stores that can fail: `redis` (and a store that could not be
/// built, reported as `redis` too since only Redis can be).
const STORES: [&str; 2] = ["memory", "redis"];

struct Histogram {
    /// Count per bucket (not cumulative); the last slot is `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS_S.len() + 1],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    const fn new() -> Histogram {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; LATENCY_BUCKETS_S.len() + 1],
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let slot = LATENCY_BUCKETS_S
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS_S.len());
        self.buckets[slot].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_us.fetch_add(micros, Relaxed);
    }

    /// `(upper bound, cumulative count)` per bucket, `+Inf` last as None.
    fn cumulative(&self) -> Vec<(Option<f64>, u64)> {
        let mut total = 0;
        self.buckets
            .iter()
            .enumerate()
            .map(|(i, count)| {
                total += count.load(Relaxed);
                (LATENCY_BUCKETS_S.get(i).copied(), total)
            })
            .collect()
    }

    fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    fn sum_seconds(&self) -> f64 {
        self.sum_us.load(Relaxed) as f64 / 1e6
    }
}

struct PerProvider {
    validations: [AtomicU64; CODES],
    upstream_calls: AtomicU64,
    upstream_retries: AtomicU64,
    validation_latency: Histogram,
    upstream_latency: Histogram,
}

impl PerProvider {
    const fn new() -> PerProvider {
        PerProvider {
            validations: [const { AtomicU64::new(0) }; CODES],
            upstream_calls: AtomicU64::new(0),
            upstream_retries: AtomicU64::new(0),
            validation_latency: Histogram::new(),
            upstream_latency: Histogram::new(),
        }
    }
}

struct Metrics {
    providers: [PerProvider; PROVIDERS],
    store_errors: [AtomicU64; STORES.len()],
    live_evictions: AtomicU64,
    /// Claims held by this process's memory stores (expired ones not yet
    /// swept included) and their summed `max_entries`: the fill level.
    memory_entries: AtomicI64,
    memory_capacity: AtomicI64,
}

impl Metrics {
    const fn new() -> Metrics {
        Metrics {
            providers: [const { PerProvider::new() }; PROVIDERS],
            store_errors: [const { AtomicU64::new(0) }; STORES.len()],
            live_evictions: AtomicU64::new(0),
            memory_entries: AtomicI64::new(0),
            memory_capacity: AtomicI64::new(0),
        }
    }
}

static METRICS: Metrics = Metrics::new();

fn provider_slot(name: &str) -> usize {
    ProviderKind::ALL
        .iter()
        .position(|p| p.as_str() == name)
        .unwrap_or(0)
}

/// What one validation did, recorded once when its outcome is made.
pub(crate) struct Validation {
    pub provider: &'static str,
    pub code: OutcomeCode,
    pub total: Duration,
    /// HTTP attempts sent upstream (0 when none was).
    pub attempts: u32,
    pub upstream: Option<Duration>,
}

pub(crate) fn record(validation: Validation) {
    METRICS.record(&validation);
}

/// The replay store `store` (`memory` or `redis`) failed a claim or release.
pub(crate) fn record_store_error(store: &str) {
    METRICS.record_store_error(store);
}

/// The memory store evicted `count` live claims early because it was full.
pub(crate) fn record_live_evictions(count: u64) {
    METRICS.live_evictions.fetch_add(count, Relaxed);
}

/// This process's memory stores gained (or lost) `delta` claims.
pub(crate) fn record_memory_entries(delta: i64) {
    METRICS.memory_entries.fetch_add(delta, Relaxed);
}

/// A memory store of `delta` entries was made (or dropped, negative).
pub(crate) fn record_memory_capacity(delta: i64) {
    METRICS.memory_capacity.fetch_add(delta, Relaxed);
}

/// `(claims held, summed max_entries)` of this process's memory stores.
pub fn memory_fill() -> (u64, u64) {
    let held = METRICS.memory_entries.load(Relaxed).max(0) as u64;
    let capacity = METRICS.memory_capacity.load(Relaxed).max(0) as u64;
    (held, capacity)
}

/// Live claims the memory stores of this process evicted early.
pub fn live_evictions() -> u64 {
    METRICS.live_evictions.load(Relaxed)
}

/// This process's counters as JSON (the shape docs/operations.md shows):
/// only series that have counted something.
pub fn snapshot() -> Value {
    METRICS.snapshot()
}

/// This process's counters in the Prometheus text exposition format
/// (version 0.0.4), every name prefixed `passgate_`.
pub fn prometheus_text() -> String {
    METRICS.prometheus_text()
}

impl Metrics {
    fn record(&self, validation: &Validation) {
        let slot = &self.providers[provider_slot(validation.provider)];
        let code = OutcomeCode::ALL
            .iter()
            .position(|c| *c == validation.code)
            .unwrap_or(0);
        slot.validations[code].fetch_add(1, Relaxed);
        slot.validation_latency.observe(validation.total);
        if validation.attempts > 0 {
            let attempts = u64::from(validation.attempts);
            slot.upstream_calls.fetch_add(attempts, Relaxed);
            slot.upstream_retries.fetch_add(attempts - 1, Relaxed);
        }
        if let Some(upstream) = validation.upstream {
            slot.upstream_latency.observe(upstream);
        }
    }

    fn record_store_error(&self, store: &str) {
        let slot = STORES.iter().position(|s| *s == store).unwrap_or(1);
        self.store_errors[slot].fetch_add(1, Relaxed);
    }
}

fn histogram_json(histogram: &Histogram) -> Value {
    json!({
        "buckets": histogram.cumulative().into_iter()
            .map(|(bound, count)| json!({ "le": bound.map_or("+Inf".to_string(), format_bound), "count": count }))
            .collect::<Vec<_>>(),
        "count": histogram.count(),
        "sum": histogram.sum_seconds(),
    })
}

fn format_bound(bound: f64) -> String {
    // Prometheus' own spelling: 0.005, 1.0, 10.0.
    if bound.fract() == 0.0 {
        format!("{bound:.1}")
    } else {
        bound.to_string()
    }
}

impl Metrics {
    fn snapshot(&self) -> Value {
        let mut validations = Vec::new();
        let mut upstream = Vec::new();
        let mut latency = Vec::new();
        for (provider, slot) in ProviderKind::ALL.iter().zip(&self.providers) {
            let provider = provider.as_str();
            for (code, count) in OutcomeCode::ALL.iter().zip(&slot.validations) {
                let count = count.load(Relaxed);
                if count > 0 {
                    validations.push(
                        json!({ "provider": provider, "outcome": code.as_str(), "count": count }),
                    );
                }
            }
            let calls = slot.upstream_calls.load(Relaxed);
            if calls > 0 {
                upstream.push(json!({
                    "provider": provider,
                    "calls": calls,
                    "retries": slot.upstream_retries.load(Relaxed),
                    "duration_seconds": histogram_json(&slot.upstream_latency),
                }));
            }
            if slot.validation_latency.count() > 0 {
                latency.push(json!({
                    "provider": provider,
                    "duration_seconds": histogram_json(&slot.validation_latency),
                }));
            }
        }
        let store_errors: Vec<Value> = STORES
            .iter()
            .zip(&self.store_errors)
            .map(|(store, count)| (store, count.load(Relaxed)))
            .filter(|(_, count)| *count > 0)
            .map(|(store, count)| json!({ "store": store, "count": count }))
            .collect();
        json!({
            "validations": validations,
            "validation_latency": latency,
            "upstream": upstream,
            "replay_store_errors": store_errors,
            "replay_live_evictions": self.live_evictions.load(Relaxed),
        "replay_memory_entries": self.memory_entries.load(Relaxed).max(0),
        "replay_memory_capacity": self.memory_capacity.load(Relaxed).max(0),
            "latency_buckets_s": LATENCY_BUCKETS_S,
        })
    }
}

fn histogram_text(out: &mut String, name: &str, provider: &str, histogram: &Histogram) {
    for (bound, count) in histogram.cumulative() {
        let le = bound.map_or("+Inf".to_string(), format_bound);
        out.push_str(&format!(
            "{name}_bucket{{provider=\"{provider}\",le=\"{le}\"}} {count}\n"
        ));
    }
    out.push_str(&format!(
        "{name}_sum{{provider=\"{provider}\"}} {}\n{name}_count{{provider=\"{provider}\"}} {}\n",
        histogram.sum_seconds(),
        histogram.count()
    ));
}

impl Metrics {
    fn prometheus_text(&self) -> String {
        let mut out = String::new();
        let used: Vec<(&str, &PerProvider)> = ProviderKind::ALL
            .iter()
            .map(|p| p.as_str())
            .zip(&self.providers)
            .filter(|(_, slot)| slot.validation_latency.count() > 0)
            .collect();
        out.push_str("# HELP passgate_validations_total Validations by provider and outcome code.\n# TYPE passgate_validations_total counter\n");
        for (provider, slot) in &used {
            for (code, count) in OutcomeCode::ALL.iter().zip(&slot.validations) {
                let count = count.load(Relaxed);
                if count > 0 {
                    out.push_str(&format!(
                    "passgate_validations_total{{provider=\"{provider}\",outcome=\"{}\"}} {count}\n",
                    code.as_str()
                ));
                }
            }
        }
        out.push_str("# HELP passgate_upstream_calls_total HTTP requests sent to the provider, retries included.\n# TYPE passgate_upstream_calls_total counter\n");
        for (provider, slot) in &used {
            out.push_str(&format!(
                "passgate_upstream_calls_total{{provider=\"{provider}\"}} {}\n",
                slot.upstream_calls.load(Relaxed)
            ));
        }
        out.push_str("# HELP passgate_upstream_retries_total Requests to the provider that were retries.\n# TYPE passgate_upstream_retries_total counter\n");
        for (provider, slot) in &used {
            out.push_str(&format!(
                "passgate_upstream_retries_total{{provider=\"{provider}\"}} {}\n",
                slot.upstream_retries.load(Relaxed)
            ));
        }
        out.push_str("# HELP passgate_replay_store_errors_total Replay-store claims or releases that failed.\n# TYPE passgate_replay_store_errors_total counter\n");
        for (store, count) in STORES.iter().zip(&self.store_errors) {
            out.push_str(&format!(
                "passgate_replay_store_errors_total{{store=\"{store}\"}} {}\n",
                count.load(Relaxed)
            ));
        }
        out.push_str(&format!(
        "# HELP passgate_replay_live_evictions_total Live claims the memory store evicted early because it was full.\n# TYPE passgate_replay_live_evictions_total counter\npassgate_replay_live_evictions_total {}\n",
        self.live_evictions.load(Relaxed)
    ));
        out.push_str(&format!(
        "# HELP passgate_replay_memory_entries Claims held by this process's memory stores.\n# TYPE passgate_replay_memory_entries gauge\npassgate_replay_memory_entries {}\n# HELP passgate_replay_memory_capacity Claims this process's memory stores can hold (max_entries summed).\n# TYPE passgate_replay_memory_capacity gauge\npassgate_replay_memory_capacity {}\n",
        self.memory_entries.load(Relaxed).max(0),
        self.memory_capacity.load(Relaxed).max(0)
    ));
        out.push_str("# HELP passgate_validation_duration_seconds Time from the call to the outcome.\n# TYPE passgate_validation_duration_seconds histogram\n");
        for (provider, slot) in &used {
            histogram_text(
                &mut out,
                "passgate_validation_duration_seconds",
                provider,
                &slot.validation_latency,
            );
        }
        out.push_str("# HELP passgate_upstream_duration_seconds Time waiting for the provider's answer, retries included.\n# TYPE passgate_upstream_duration_seconds histogram\n");
        for (provider, slot) in &used {
            if slot.upstream_latency.count() > 0 {
                histogram_text(
                    &mut out,
                    "passgate_upstream_duration_seconds",
                    provider,
                    &slot.upstream_latency,
                );
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
