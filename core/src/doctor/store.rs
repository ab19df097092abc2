//! Check 5: the replay store — Redis `PING` and one claim (`SET NX PX`) and
//! release (compare-and-delete) round trip, timed; the memory store's bound.

use std::time::{Duration, Instant};

use crate::{redact_url, Config, RedisStore, ReplayStore, StoreSpec};

use super::{Check, Status};

const NAME: &str = "replay_store";

fn ms(elapsed: Duration) -> String {
    format!("{:.1} ms", elapsed.as_secs_f64() * 1000.0)
}

/// The fill level of the memory stores of the process running the doctor
/// (a binding's `doctor()` inside the application sees its verifiers').
fn memory_fill() -> String {
    let (held, capacity) = crate::metrics::memory_fill();
    if capacity == 0 {
        return "no memory store in use (the fill level shows when doctor() runs inside the application)".into();
    }
    let percent = held as f64 * 100.0 / capacity as f64;
    format!(
        "memory stores hold {held} of {capacity} claims ({percent:.1}% full); {} live claims evicted early so far",
        crate::metrics::live_evictions()
    )
}

pub fn replay_store(config: &Config) -> Check {
    match &config.store {
        StoreSpec::Memory { max_entries } => Check::new(
            NAME,
            Status::Pass,
            format!("memory store, at most {max_entries} tokens remembered (max_entries)"),
        )
        .detail("this process", memory_fill())
        .detail(
            "note",
            "each process keeps its own: with several processes or hosts a token can be replayed on another; use redis:// there",
        ),
        StoreSpec::None => Check::new(NAME, Status::Warn, "no replay store: a token can be used twice until the provider refuses it")
            .advice("set replay_store (PASSGATE_REPLAY_STORE) to memory or a redis:// URL"),
        StoreSpec::Redis {
            url,
            key_prefix,
            timeout,
        } => redis_check(url, key_prefix, *timeout, config.extra_ca_pem.as_deref()),
    }
}

fn redis_check(url: &str, prefix: &str, timeout: Duration, ca: Option<&[u8]>) -> Check {
    let shown = redact_url(url);
    let fail = |summary: String| {
        Check::new(NAME, Status::Fail, summary)
            .detail("replay_store", shown.clone())
            .advice("check that Redis runs and is reachable at replay_store (PASSGATE_REPLAY_STORE), its password, and store_timeout_ms; with fail_open_on_store_error unset every validation fails while it is down")
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("runtime: {e}")),
    };
    let client = match ca {
        Some(pem) if url.starts_with("rediss://") => redis::Client::build_with_tls(
            url,
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.to_vec()),
            },
        ),
        _ => redis::Client::open(url),
    };
    let client = match client {
        Ok(client) => client,
        Err(e) => return fail(format!("not a usable redis URL ({:?})", e.kind())),
    };
    runtime.block_on(async {
        let started = Instant::now();
        let ping = tokio::time::timeout(timeout, async {
            let mut connection = client
                .get_multiplexed_async_connection()
                .await
                .map_err(|e| format!("cannot connect ({:?})", e.kind()))?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
                .map_err(|e| format!("PING failed ({:?})", e.kind()))
        })
        .await;
        let pong = match ping {
            Ok(Ok(pong)) => pong,
            Ok(Err(why)) => return fail(format!("Redis: {why}")),
            Err(_) => return fail("Redis: no PONG within store_timeout_ms".into()),
        };
        let ping_time = started.elapsed();
        let store = match RedisStore::new(url, prefix, timeout, ca) {
            Ok(store) => store,
            Err(why) => return fail(format!("Redis: {why}")),
        };
        let probe = format!("doctor-{}-{}", std::process::id(), crate::Claim::unique().0);
        let started = Instant::now();
        let claim = match store.claim(&probe, Duration::from_secs(10)).await {
            Ok(Some(claim)) => claim,
            Ok(None) => return fail("Redis: SET NX refused a fresh key".into()),
            Err(e) => return fail(format!("Redis: SET NX PX failed ({})", e.0)),
        };
        if let Err(e) = store.release(&probe, claim).await {
            return fail(format!("Redis: compare-and-delete failed ({})", e.0));
        }
        Check::new(NAME, Status::Pass, "Redis answers; claim and release work")
            .detail("replay_store", shown.clone())
            .detail("ping", format!("{pong} in {}", ms(ping_time)))
            .detail(
                "claim_release",
                format!(
                    "SET NX PX + compare-and-delete in {}",
                    ms(started.elapsed())
                ),
            )
    })
}
