//! The replay guard's stores (DESIGN §5). A claim is atomic: of N concurrent
//! claims of one fingerprint inside the TTL, exactly one wins.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The store could not answer; the caller decides by policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "replay store unavailable: {}", self.0)
    }
}

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

pub trait ReplayStore: Send + Sync {
    /// `Ok(true)` when this call is the first claim of `fingerprint` within
    /// `ttl`; `Ok(false)` when it was already claimed.
    fn claim<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool>;
    /// Forget a claim so that the same token may be tried again.
    fn release<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()>;
    /// `memory`, `redis` or `none`, for the log record.
    fn label(&self) -> &'static str;
}

/// Claims nothing (`replay_store = "none"`): the upstream alone decides.
pub struct NoStore;

impl ReplayStore for NoStore {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async { Ok(true) })
    }
    fn release<'a>(&'a self, _: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn label(&self) -> &'static str {
        "none"
    }
}

/// A store that could not be set up: every claim fails (fail closed, or
/// open by policy).
pub struct BrokenStore(pub String);

impl ReplayStore for BrokenStore {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move { Err(StoreError(self.0.clone())) })
    }
    fn release<'a>(&'a self, _: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn label(&self) -> &'static str {
        "redis"
    }
}

/// Bounded, TTL-evicted, per-process store. Keys are the fingerprint's 64
/// bits; an entry costs a map slot (key + expiry) and a queue slot (key +
/// expiry), about 40 bytes with the map's spare capacity.
pub struct MemoryStore {
    max_entries: usize,
    epoch: Instant,
    inner: Mutex<MemoryInner>,
}

#[derive(Default)]
struct MemoryInner {
    /// fingerprint → expiry (ms since `epoch`).
    expiries: HashMap<u64, u64>,
    /// Claims in the order made; may hold stale pairs whose map entry was
    /// released or re-claimed (they are skipped when popped).
    order: VecDeque<(u64, u64)>,
}

fn key_of(fingerprint: &str) -> u64 {
    u64::from_str_radix(fingerprint, 16).unwrap_or_else(|_| {
        // Not a fingerprint made by this crate; fold it (FNV-1a).
        fingerprint.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    })
}

impl MemoryStore {
    pub fn new(max_entries: usize) -> Self {
        MemoryStore {
            max_entries: max_entries.max(1),
            epoch: Instant::now(),
            inner: Mutex::new(MemoryInner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MemoryInner> {
        // A panic while holding the lock leaves the map consistent enough:
        // every operation on it is a single insert/remove.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The synchronous claim behind `ReplayStore::claim`.
    pub fn claim_now(&self, fingerprint: &str, ttl: Duration) -> bool {
        let key = key_of(fingerprint);
        let now = self.now_ms();
        let expiry = now.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
        let mut inner = self.lock();
        if inner.expiries.get(&key).is_some_and(|&until| until > now) {
            return false;
        }
        inner.evict(now, self.max_entries.saturating_sub(1));
        inner.expiries.insert(key, expiry);
        inner.order.push_back((key, expiry));
        true
    }

    pub fn release_now(&self, fingerprint: &str) {
        self.lock().expiries.remove(&key_of(fingerprint));
    }

    /// Live claims (expired ones not yet evicted included).
    pub fn len(&self) -> usize {
        self.lock().expiries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MemoryInner {
    /// Drop expired claims from the front, then the oldest until at most
    /// `keep` remain.
    fn evict(&mut self, now: u64, keep: usize) {
        while let Some(&(key, expiry)) = self.order.front() {
            let current = self.expiries.get(&key).copied();
            if current != Some(expiry) {
                self.order.pop_front(); // stale: released or re-claimed
                continue;
            }
            if expiry <= now || self.expiries.len() > keep {
                self.order.pop_front();
                self.expiries.remove(&key);
                continue;
            }
            break;
        }
        // Releases leave stale pairs behind; compact when they dominate.
        if self.order.len() > 2 * self.expiries.len() + 1024 {
            let expiries = &self.expiries;
            self.order
                .retain(|(key, expiry)| expiries.get(key) == Some(expiry));
        }
    }
}

impl ReplayStore for MemoryStore {
    fn claim<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        let won = self.claim_now(fingerprint, ttl);
        Box::pin(async move { Ok(won) })
    }
    fn release<'a>(&'a self, fingerprint: &'a str) -> StoreFuture<'a, ()> {
        self.release_now(fingerprint);
        Box::pin(async { Ok(()) })
    }
    fn label(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn claim_once_then_release() {
        let store = MemoryStore::new(10);
        assert!(store.claim_now("00000000000000aa", TTL));
        assert!(!store.claim_now("00000000000000aa", TTL));
        store.release_now("00000000000000aa");
        assert!(store.claim_now("00000000000000aa", TTL));
    }

    #[test]
    fn expired_claims_can_be_claimed_again() {
        let store = MemoryStore::new(10);
        assert!(store.claim_now("01", Duration::ZERO));
        assert!(store.claim_now("01", Duration::ZERO));
    }

    #[test]
    fn bounded_evicts_oldest() {
        let store = MemoryStore::new(100);
        for i in 0..1000u64 {
            assert!(store.claim_now(&format!("{i:016x}"), TTL));
        }
        assert_eq!(store.len(), 100);
        // The newest are still guarded, the oldest were evicted.
        assert!(!store.claim_now(&format!("{:016x}", 999), TTL));
        assert!(store.claim_now(&format!("{:016x}", 0), TTL));
    }

    #[test]
    fn releases_do_not_grow_the_queue_forever() {
        let store = MemoryStore::new(10);
        for _ in 0..10_000 {
            assert!(store.claim_now("ab", TTL));
            store.release_now("ab");
        }
        assert!(store.lock().order.len() < 2048);
    }

    #[test]
    fn concurrent_claims_have_one_winner() {
        let store = std::sync::Arc::new(MemoryStore::new(1000));
        let winners: usize = (0..16)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || usize::from(store.claim_now("beef", TTL)))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .sum();
        assert_eq!(winners, 1);
    }
}
