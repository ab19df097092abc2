//! The Redis replay store against a real `redis-server` on a free loopback
//! port (started here, stopped at the end).

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::{free_port, RedisServer};
use passgate_cli::mock::ThrowawayCerts;
use passgate_core::{Options, OutcomeCode, RedisStore, ReplayStore, ValidateRequest, Verifier};

fn redis_verifier(base_url: &str, url: &str, tweak: impl FnOnce(&mut Options)) -> Verifier {
    let mut options = Options {
        replay_store: Some(url.into()),
        store_timeout_ms: Some(300),
        ..common::options_for(base_url)
    };
    tweak(&mut options);
    common::verifier(options)
}

#[test]
fn two_hundred_concurrent_through_two_verifiers_one_pass() {
    let redis = RedisServer::start(free_port(), None);
    let mock = common::mock();
    common::script(
        &mock,
        "pt_redis_shared",
        serde_json::json!({ "delay_ms": 100 }),
    );
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let first = redis_verifier(&mock.base_url, &url, |_| {});
    let second = redis_verifier(&mock.base_url, &url, |_| {});
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let codes: Vec<OutcomeCode> = runtime.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let verifier = if i % 2 == 0 {
                    first.clone()
                } else {
                    second.clone()
                };
                tokio::spawn(async move {
                    verifier
                        .validate(ValidateRequest::new(Some("pt_redis_shared")))
                        .await
                        .expect("outcome")
                        .code
                })
            })
            .collect();
        let mut codes = Vec::new();
        for task in tasks {
            codes.push(task.await.expect("task"));
        }
        codes
    });
    let passed = codes.iter().filter(|c| **c == OutcomeCode::Passed).count();
    let replayed = codes
        .iter()
        .filter(|c| **c == OutcomeCode::Replayed)
        .count();
    assert_eq!((passed, replayed), (1, 199), "{codes:?}");
    assert_eq!(mock.stats().validate_calls, 1);
    let outcome = first
        .validate_blocking(ValidateRequest::new(Some("pt_redis_shared")))
        .expect("outcome");
    assert_eq!(outcome.log_fields.replay_store, "redis");
}

#[test]
fn redis_killed_mid_run_is_store_unavailable_then_recovers() {
    const STORE_TIMEOUT: Duration = Duration::from_millis(300); // redis_verifier's
                                                                // Scheduling slack on a busy 2-core machine, on top of the store timeout.
    const SLACK: Duration = Duration::from_millis(250);
    let port = free_port();
    let mut redis = RedisServer::start(port, None);
    let mock = common::mock();
    let url = format!("redis://127.0.0.1:{port}");
    let verifier = redis_verifier(&mock.base_url, &url, |_| {});
    let validate = |token: &str| {
        verifier
            .validate_blocking(ValidateRequest::new(Some(token)))
            .expect("outcome")
    };

    // A client validating fresh tokens back to back while Redis dies under it.
    let stop = Arc::new(AtomicBool::new(false));
    let (results, received) = mpsc::channel();
    let client = {
        let (verifier, stop) = (verifier.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let outcome = verifier
                    .validate_blocking(ValidateRequest::new(Some(&format!("pt_mid_run_{i}"))))
                    .expect("outcome");
                let record = (
                    started,
                    started.elapsed(),
                    outcome.code,
                    outcome.log_fields.upstream_called,
                );
                if results.send(record).is_err() {
                    break;
                }
                i += 1;
            }
        })
    };
    let next = || {
        received
            .recv_timeout(Duration::from_secs(10))
            .expect("a result")
    };
    for _ in 0..20 {
        assert_eq!(next().2, OutcomeCode::Passed);
    }
    redis.stop();
    let killed_at = Instant::now();
    let mut after_kill = Vec::new();
    let mut passed = 20;
    while after_kill.len() < 10 {
        let record = next();
        if record.0 >= killed_at {
            after_kill.push(record);
        } else if record.2 == OutcomeCode::Passed {
            passed += 1; // in flight when Redis died
        }
    }
    stop.store(true, Ordering::Relaxed);
    drop(received);
    client.join().expect("client thread");
    for (_, elapsed, code, upstream_called) in &after_kill {
        assert_eq!(*code, OutcomeCode::StoreUnavailable);
        assert!(!upstream_called);
        assert!(*elapsed < STORE_TIMEOUT + SLACK, "{elapsed:?}");
    }
    assert_eq!(mock.stats().validate_calls, passed);

    let open = redis_verifier(&mock.base_url, &url, |o| {
        o.fail_open_on_store_error = Some(true)
    });
    let outcome = open
        .validate_blocking(ValidateRequest::new(Some("pt_redis_fail_open")))
        .expect("outcome");
    assert_eq!(outcome.code, OutcomeCode::Passed);
    assert_eq!(outcome.log_fields.policy, Some("fail_open_on_store_error"));

    let _redis = RedisServer::start(port, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut recovered = validate("pt_redis_after_0").code;
    let mut attempt = 0;
    while recovered != OutcomeCode::Passed && Instant::now() < deadline {
        attempt += 1;
        std::thread::sleep(Duration::from_millis(100)); // give the reconnect a moment
        recovered = validate(&format!("pt_redis_after_{attempt}")).code;
    }
    assert_eq!(
        recovered,
        OutcomeCode::Passed,
        "claims work again without a restart"
    );
    assert_eq!(
        validate(&format!("pt_redis_after_{attempt}")).code,
        OutcomeCode::Replayed
    );
}

#[test]
fn password_protected_redis_and_no_password_in_output() {
    let password = "redis-PASSWORD-s3cret";
    let redis = RedisServer::start(free_port(), Some(password));
    let mock = common::mock();
    let url = format!("redis://:{password}@127.0.0.1:{}", redis.port);
    let verifier = redis_verifier(&mock.base_url, &url, |_| {});
    let outcome = verifier
        .validate_blocking(ValidateRequest::new(Some("pt_redis_auth")))
        .expect("outcome");
    assert_eq!(outcome.code, OutcomeCode::Passed);
    let again = verifier
        .validate_blocking(ValidateRequest::new(Some("pt_redis_auth")))
        .expect("outcome");
    assert_eq!(again.code, OutcomeCode::Replayed);
    assert!(!again.log_fields.upstream_called);

    let wrong = redis_verifier(
        &mock.base_url,
        &format!("redis://:wrong@127.0.0.1:{}", redis.port),
        |_| {},
    );
    let refused = wrong
        .validate_blocking(ValidateRequest::new(Some("pt_redis_wrong")))
        .expect("outcome");
    assert_eq!(refused.code, OutcomeCode::StoreUnavailable);

    let printed = format!(
        "{verifier:?} {:?} {outcome:?} {}",
        verifier.config(),
        outcome.to_json()
    );
    assert!(!printed.contains(password), "{printed}");
    let bad = passgate_core::Config::resolve(Options {
        replay_store: Some(format!("redis://:{password}@[not-a-host")),
        ..common::options_for(&mock.base_url)
    })
    .expect_err("bad url");
    assert_eq!(bad.setting, "replay_store");
    assert!(!bad.to_string().contains(password));
}

#[test]
fn key_prefix_and_ttl() {
    let redis = RedisServer::start(free_port(), None);
    let mock = common::mock();
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let verifier = redis_verifier(&mock.base_url, &url, |o| {
        o.redis_key_prefix = Some("myapp:captcha:".into())
    });
    let outcome = verifier
        .validate_blocking(ValidateRequest::new(Some("pt_redis_prefix")))
        .expect("outcome");
    let fingerprint = outcome
        .log_fields
        .token_fingerprint
        .clone()
        .expect("fingerprint");
    let ttl = Command::new("redis-cli")
        .args([
            "-p",
            &redis.port.to_string(),
            "PTTL",
            &format!("myapp:captcha:{fingerprint}"),
        ])
        .output()
        .expect("redis-cli");
    let ttl_ms: i64 = String::from_utf8_lossy(&ttl.stdout)
        .trim()
        .parse()
        .expect("a number");
    // max_token_age (300 s) + clock_skew (30 s) + timeout_ms (2 s).
    assert!((322_000..=332_000).contains(&ttl_ms), "{ttl_ms}");
}

#[test]
fn rediss_with_a_private_ca_and_password() {
    let certs = ThrowawayCerts::generate().expect("certificates");
    let dir = std::env::temp_dir().join(format!("passgate-rediss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, pem: &str| {
        let path = dir.join(name);
        std::fs::write(&path, pem).expect("write pem");
        path.to_string_lossy().into_owned()
    };
    let ca_file = write("ca.pem", &certs.ca_pem);
    let port = free_port();
    let password = "rediss-PASSWORD-s3cret";
    let args: Vec<String> = [
        "--port",
        "0",
        "--tls-port",
        &port.to_string(),
        "--tls-cert-file",
        &write("redis.pem", &certs.leaf_pem),
        "--tls-key-file",
        &write("redis.key", &certs.leaf_key_pem),
        "--tls-ca-cert-file",
        &ca_file,
        "--tls-auth-clients",
        "no",
        "--requirepass",
        password,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let _redis = RedisServer::start_with(port, &args);
    let mock = common::mock();
    let url = format!("rediss://:{password}@127.0.0.1:{port}/0");

    let trusted = redis_verifier(&mock.base_url, &url, |o| o.ca_file = Some(ca_file.clone()));
    let validate = |verifier: &Verifier, token: &str| {
        verifier
            .validate_blocking(ValidateRequest::new(Some(token)))
            .expect("outcome")
    };
    let outcome = validate(&trusted, "pt_rediss");
    assert_eq!(
        outcome.code,
        OutcomeCode::Passed,
        "{:?}",
        outcome.log_fields
    );
    assert_eq!(outcome.log_fields.replay_store, "redis");
    let again = validate(&trusted, "pt_rediss");
    assert_eq!(again.code, OutcomeCode::Replayed);
    assert!(!again.log_fields.upstream_called);

    // The system trust store does not know the throwaway CA: fail closed.
    let untrusted = redis_verifier(&mock.base_url, &url, |_| {});
    let refused = validate(&untrusted, "pt_rediss_untrusted");
    assert_eq!(refused.code, OutcomeCode::StoreUnavailable);
    assert_eq!(mock.stats().validate_calls, 1);
    let printed = format!("{trusted:?} {untrusted:?} {:?}", refused.to_json());
    assert!(!printed.contains(password), "{printed}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn transient_upstream_failure_releases_the_redis_claim() {
    let redis = RedisServer::start(free_port(), None);
    let mock = common::mock();
    common::script(
        &mock,
        "pt_redis_retry",
        serde_json::json!({ "http_status": 503, "times": 1 }),
    );
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let verifier = redis_verifier(&mock.base_url, &url, |_| {});
    let validate = || {
        verifier
            .validate_blocking(ValidateRequest::new(Some("pt_redis_retry")))
            .expect("outcome")
            .code
    };
    assert_eq!(validate(), OutcomeCode::UpstreamUnavailable);
    // The claim was DELeted: the user's retry reaches the upstream and passes.
    assert_eq!(validate(), OutcomeCode::Passed);
    assert_eq!(validate(), OutcomeCode::Replayed);
    assert_eq!(mock.stats().validate_calls, 2);
}

#[test]
fn a_late_release_never_frees_another_requests_claim() {
    let redis = RedisServer::start(free_port(), None);
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let store = RedisStore::new(&url, "late:", Duration::from_millis(1000), None).expect("store");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let ttl = Duration::from_secs(60);
    let fingerprint = "00000000000000ff";
    let a = runtime
        .block_on(store.claim(fingerprint, ttl))
        .expect("store answers")
        .expect("A claims first");
    // A's claim lapses while its upstream call is slow (its TTL ends: here
    // the key goes at once), and B claims the same token.
    let deleted = Command::new("redis-cli")
        .args([
            "-p",
            &redis.port.to_string(),
            "DEL",
            &format!("late:{fingerprint}"),
        ])
        .output()
        .expect("redis-cli");
    assert_eq!(String::from_utf8_lossy(&deleted.stdout).trim(), "1");
    let b = runtime
        .block_on(store.claim(fingerprint, ttl))
        .expect("store answers")
        .expect("B claims after A's claim lapsed");
    // A's call fails transiently and A releases: only its own claim may go.
    runtime
        .block_on(store.release(fingerprint, a))
        .expect("release");
    let third = runtime
        .block_on(store.claim(fingerprint, ttl))
        .expect("store answers");
    assert_eq!(third, None, "A's late release freed B's claim");
    runtime
        .block_on(store.release(fingerprint, b))
        .expect("release");
    assert!(runtime
        .block_on(store.claim(fingerprint, ttl))
        .expect("store answers")
        .is_some());
}
