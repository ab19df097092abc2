//! The replay guard's stores (DESIGN §5). A claim is atomic: of N concurrent
//! claims of one fingerprint inside the TTL, exactly one wins.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::forksafe::{ForkSafeMutex, MutexGuard};

/// The store could not answer; the caller decides by policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "replay store unavailable: {}", self.0)
    }
}

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Proof of one claim: a release with it removes that claim and no other, so
/// a late release cannot free a token that another request claimed since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Claim(pub u64);

impl Claim {
    /// A claim value unlikely to repeat across processes and hosts (a shared
    /// Redis sees them all): SipHash under per-process random keys of the
    /// time, the pid and a counter.
    pub fn unique() -> Claim {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        Claim(hasher.finish())
    }
}

pub trait ReplayStore: Send + Sync {
    /// `Ok(Some(claim))` when this call is the first claim of `fingerprint`
    /// within `ttl`; `Ok(None)` when it was already claimed.
    fn claim<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, Option<Claim>>;
    /// Forget `claim` so that the same token may be tried again; a claim
    /// made since by someone else stays.
    fn release<'a>(&'a self, fingerprint: &'a str, claim: Claim) -> StoreFuture<'a, ()>;
    /// `memory`, `redis` or `none`, for the log record.
    fn label(&self) -> &'static str;
    /// Live claims pushed out early because the store was full, since it was
    /// made; `None` for stores that never do that.
    fn evictions(&self) -> Option<u64> {
        None
    }
}

/// Claims nothing (`replay_store = "none"`): the upstream alone decides.
pub struct NoStore;

impl ReplayStore for NoStore {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> StoreFuture<'a, Option<Claim>> {
        Box::pin(async { Ok(Some(Claim(0))) })
    }
    fn release<'a>(&'a self, _: &'a str, _: Claim) -> StoreFuture<'a, ()> {
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
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> StoreFuture<'a, Option<Claim>> {
        Box::pin(async move { Err(StoreError(self.0.clone())) })
    }
    fn release<'a>(&'a self, _: &'a str, _: Claim) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn label(&self) -> &'static str {
        "redis"
    }
}

/// Bounded, TTL-evicted, per-process store. Keys are the fingerprint's 64
/// bits; an entry costs a map slot (key + expiry) and a queue slot (key +
/// expiry), about 50 bytes with the map's spare capacity. The expiry, in
/// nanoseconds and strictly increasing within a store, doubles as the
/// claim's identity.
pub struct MemoryStore {
    max_entries: usize,
    epoch: Instant,
    inner: ForkSafeMutex<MemoryInner>,
    evictions: AtomicU64,
}

#[derive(Default)]
struct MemoryInner {
    /// fingerprint key → expiry (ns since `epoch`), which is also the claim.
    entries: HashMap<u64, u64>,
    /// Claims in the order made; may hold stale pairs whose entry was
    /// released, expired or re-claimed (they are skipped when popped).
    order: VecDeque<(u64, u64)>,
    /// The last claim's time (ns): the next claim's is later.
    last_claimed: u64,
    /// When a full store may next sweep the whole map for expired entries.
    next_sweep: u64,
}

/// A full store sweeps expired entries at most this often (ns): the sweep
/// walks the whole map.
const SWEEP_INTERVAL_NS: u64 = 1_000_000_000;

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
        crate::metrics::record_memory_capacity(max_entries.max(1) as i64);
        MemoryStore {
            max_entries: max_entries.max(1),
            epoch: Instant::now(),
            inner: ForkSafeMutex::new(MemoryInner::default()),
            evictions: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MemoryInner> {
        self.inner.lock()
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The synchronous claim behind `ReplayStore::claim`.
    pub fn claim_now(&self, fingerprint: &str, ttl: Duration) -> Option<Claim> {
        let key = key_of(fingerprint);
        let now = self.now_ns();
        let ttl_ns = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
        let mut inner = self.lock();
        if inner.entries.get(&key).is_some_and(|&expiry| expiry > now) {
            return None;
        }
        let held_before = inner.entries.len();
        let previous = inner.entries.get(&key).copied();
        let evicted = inner.make_room(now, self.max_entries.saturating_sub(1));
        if evicted > 0 {
            self.evictions.fetch_add(evicted, Ordering::Relaxed);
            crate::metrics::record_live_evictions(evicted);
        }
        let claimed = now.max(inner.last_claimed.saturating_add(1));
        inner.last_claimed = claimed;
        let mut expiry = claimed.saturating_add(ttl_ns);
        if previous == Some(expiry) {
            // The expired claim of this key must not match the new one.
            expiry = expiry.checked_add(1).unwrap_or(expiry - 1);
        }
        inner.entries.insert(key, expiry);
        inner.order.push_back((key, expiry));
        crate::metrics::record_memory_entries(inner.entries.len() as i64 - held_before as i64);
        Some(Claim(expiry))
    }

    /// Remove `claim` if it is still the one held for `fingerprint`.
    pub fn release_now(&self, fingerprint: &str, claim: Claim) {
        let key = key_of(fingerprint);
        let mut inner = self.lock();
        if inner.entries.get(&key) == Some(&claim.0) {
            inner.entries.remove(&key);
            crate::metrics::record_memory_entries(-1);
        }
    }

    /// Live claims (expired ones not yet evicted included).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Live claims evicted early because the store was full.
    pub fn live_evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }
}

impl MemoryInner {
    /// Drop expired claims, then (only if still over `keep`) the oldest live
    /// ones; returns how many live claims went.
    fn make_room(&mut self, now: u64, keep: usize) -> u64 {
        self.drop_expired_front(now);
        if self.entries.len() > keep && self.next_sweep <= now {
            // Claims with different TTLs leave expired entries behind live
            // ones: find them before evicting anything live.
            self.entries.retain(|_, expiry| *expiry > now);
            self.next_sweep = now.saturating_add(SWEEP_INTERVAL_NS);
        }
        let mut evicted = 0;
        while self.entries.len() > keep && self.evict_oldest() {
            evicted += 1;
        }
        // Releases leave stale pairs behind; compact when they dominate.
        if self.order.len() > 2 * self.entries.len() + 1024 {
            let entries = &self.entries;
            self.order
                .retain(|(key, expiry)| entries.get(key) == Some(expiry));
        }
        evicted
    }

    /// Whether a queued pair still stands for its entry (not released,
    /// expired away or re-claimed since).
    fn is_current(&self, key: u64, expiry: u64) -> bool {
        self.entries.get(&key) == Some(&expiry)
    }

    fn drop_expired_front(&mut self, now: u64) {
        while let Some(&(key, expiry)) = self.order.front() {
            let current = self.is_current(key, expiry);
            if current && expiry > now {
                return;
            }
            self.order.pop_front();
            if current {
                self.entries.remove(&key);
            }
        }
    }

    /// Evict the oldest current claim; `false` when there is none.
    fn evict_oldest(&mut self) -> bool {
        while let Some((key, expiry)) = self.order.pop_front() {
            if self.is_current(key, expiry) {
                self.entries.remove(&key);
                return true;
            }
        }
        false
    }
}

impl Drop for MemoryStore {
    fn drop(&mut self) {
        let held = self.inner.lock().entries.len() as i64;
        crate::metrics::record_memory_entries(-held);
        crate::metrics::record_memory_capacity(-(self.max_entries as i64));
    }
}

impl ReplayStore for MemoryStore {
    fn claim<'a>(&'a self, fingerprint: &'a str, ttl: Duration) -> StoreFuture<'a, Option<Claim>> {
        let won = self.claim_now(fingerprint, ttl);
        Box::pin(async move { Ok(won) })
    }
    fn release<'a>(&'a self, fingerprint: &'a str, claim: Claim) -> StoreFuture<'a, ()> {
        self.release_now(fingerprint, claim);
        Box::pin(async { Ok(()) })
    }
    fn label(&self) -> &'static str {
        "memory"
    }
    fn evictions(&self) -> Option<u64> {
        Some(self.live_evictions())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn claim_once_then_release() {
        let store = MemoryStore::new(10);
        let claim = store.claim_now("00000000000000aa", TTL).expect("first");
        assert_eq!(store.claim_now("00000000000000aa", TTL), None);
        store.release_now("00000000000000aa", claim);
        assert!(store.claim_now("00000000000000aa", TTL).is_some());
    }

    #[test]
    fn expired_claims_can_be_claimed_again() {
        let store = MemoryStore::new(10);
        assert!(store.claim_now("01", Duration::ZERO).is_some());
        assert!(store.claim_now("01", Duration::ZERO).is_some());
    }

    #[test]
    fn bounded_evicts_oldest() {
        let store = MemoryStore::new(100);
        for i in 0..1000u64 {
            assert!(store.claim_now(&format!("{i:016x}"), TTL).is_some());
        }
        assert_eq!(store.len(), 100);
        assert_eq!(store.live_evictions(), 900);
        // The newest are still guarded, the oldest were evicted.
        assert!(store.claim_now(&format!("{:016x}", 999), TTL).is_none());
        assert!(store.claim_now(&format!("{:016x}", 0), TTL).is_some());
    }

    #[test]
    fn releases_do_not_grow_the_queue_forever() {
        let store = MemoryStore::new(10);
        for _ in 0..10_000 {
            let claim = store.claim_now("ab", TTL).expect("free");
            store.release_now("ab", claim);
        }
        assert!(store.lock().order.len() < 2048);
    }

    #[test]
    fn concurrent_claims_have_one_winner() {
        let store = std::sync::Arc::new(MemoryStore::new(1000));
        let winners: usize = (0..16)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || usize::from(store.claim_now("beef", TTL).is_some()))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .sum();
        assert_eq!(winners, 1);
    }

    #[test]
    fn a_late_release_frees_only_its_own_claim() {
        let store = MemoryStore::new(10);
        // A claims; its claim expires while its upstream call is slow...
        let late = store.claim_now("cafe", Duration::ZERO).expect("A");
        // ...B claims the same token, and then A gives up and releases.
        let current = store.claim_now("cafe", TTL).expect("B");
        store.release_now("cafe", late);
        assert_eq!(store.claim_now("cafe", TTL), None, "B's claim survives");
        store.release_now("cafe", current);
        assert!(store.claim_now("cafe", TTL).is_some());
    }

    #[test]
    fn a_full_store_evicts_expired_claims_before_live_ones() {
        let store = MemoryStore::new(4);
        // Two live claims first, then two that expire at once: the queue's
        // front is live, the expired ones are behind it.
        for fp in ["01", "02"] {
            assert!(store.claim_now(fp, TTL).is_some());
        }
        for fp in ["03", "04"] {
            assert!(store.claim_now(fp, Duration::ZERO).is_some());
        }
        for fp in ["05", "06"] {
            assert!(store.claim_now(fp, TTL).is_some());
        }
        assert_eq!(store.live_evictions(), 0);
        for fp in ["01", "02", "05", "06"] {
            assert!(store.claim_now(fp, TTL).is_none(), "{fp} still guarded");
        }
        // Now full of live claims: the next one evicts the oldest and says so.
        assert!(store.claim_now("07", TTL).is_some());
        assert_eq!(store.live_evictions(), 1);
        assert!(store.claim_now("01", TTL).is_some(), "the oldest went");
    }
}
