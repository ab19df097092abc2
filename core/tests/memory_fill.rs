//! The memory stores' fill level, process-wide: alone in its test binary so
//! that no other test's store moves the numbers.

use std::time::Duration;

use passgate_core::{metrics, MemoryStore};

#[test]
fn the_fill_level_follows_claims_releases_evictions_and_drops() {
    assert_eq!(metrics::memory_fill(), (0, 0));
    let store = MemoryStore::new(3);
    assert_eq!(metrics::memory_fill(), (0, 3));
    let ttl = Duration::from_secs(60);
    let first = store.claim_now("00000000000000a1", ttl).expect("claimed");
    store.claim_now("00000000000000a2", ttl).expect("claimed");
    assert!(
        store.claim_now("00000000000000a2", ttl).is_none(),
        "a replay"
    );
    assert_eq!(metrics::memory_fill(), (2, 3));
    store.release_now("00000000000000a1", first);
    assert_eq!(metrics::memory_fill(), (1, 3));
    for key in ["00000000000000b1", "00000000000000b2", "00000000000000b3"] {
        store.claim_now(key, ttl).expect("claimed");
    }
    // Full at 3: the oldest live claim made room.
    assert_eq!(metrics::memory_fill(), (3, 3));
    assert_eq!(metrics::live_evictions(), 1);
    let text = metrics::prometheus_text();
    assert!(
        text.contains("passgate_replay_memory_entries 3\n"),
        "{text}"
    );
    assert!(
        text.contains("passgate_replay_live_evictions_total 1\n"),
        "{text}"
    );
    drop(store);
    assert_eq!(metrics::memory_fill(), (0, 0));
}
