//! The memory store stays bounded: 2,000,000 distinct claims with
//! max_entries 1,000,000 keep 1,000,000 entries and stop growing.

use std::io::Write;
use std::time::Duration;

use passgate_core::MemoryStore;

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

#[test]
fn two_million_claims_stay_within_one_million_entries() {
    const BOUND: usize = 1_000_000;
    let ttl = Duration::from_secs(600);
    let store = MemoryStore::new(BOUND);
    let start = resident_bytes();
    for i in 0..BOUND as u64 {
        assert!(store.claim_now(&format!("{i:016x}"), ttl).is_some());
    }
    let at_bound = resident_bytes();
    for i in BOUND as u64..2 * BOUND as u64 {
        assert!(store.claim_now(&format!("{i:016x}"), ttl).is_some());
    }
    let after = resident_bytes();
    assert_eq!(store.len(), BOUND);
    // The oldest were evicted, the newest are guarded.
    assert!(store.claim_now(&format!("{:016x}", 0), ttl).is_some());
    assert!(store
        .claim_now(&format!("{:016x}", 2 * BOUND as u64 - 1), ttl)
        .is_none());
    let per_entry = (at_bound - start) as f64 / BOUND as f64;
    // Straight to stdout, past the test harness's capture: the numbers are
    // part of what `make test` reports.
    let _ = writeln!(
        std::io::stdout(),
        "memory store: {:.1} MiB resident at 1M entries ({per_entry:.0} bytes/entry), {:.1} MiB after 2M claims, {} entries kept",
        (at_bound - start) as f64 / 1048576.0,
        (after - start) as f64 / 1048576.0,
        store.len()
    );
    assert!(per_entry <= 64.0, "{per_entry} bytes per entry");
    // The second million replaced the first instead of adding to it.
    assert!(
        after - start < (at_bound - start) * 3 / 2,
        "grew from {at_bound} to {after}"
    );
}
