//! The replay guard under concurrency, and connection reuse.

mod common;

use std::sync::Arc;

use passgate_core::{OutcomeCode, ValidateRequest};

fn tally(codes: &[OutcomeCode]) -> (usize, usize) {
    let passed = codes.iter().filter(|c| **c == OutcomeCode::Passed).count();
    let replayed = codes
        .iter()
        .filter(|c| **c == OutcomeCode::Replayed)
        .count();
    (passed, replayed)
}

#[test]
fn hundred_concurrent_tasks_one_token_one_upstream_call() {
    let mock = common::mock();
    // A slow answer keeps all 100 in flight at once.
    common::script(
        &mock,
        "pt_concurrent_tasks",
        serde_json::json!({ "delay_ms": 100 }),
    );
    let verifier = common::verifier(common::options_for(&mock.base_url));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let codes: Vec<OutcomeCode> = runtime.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let verifier = verifier.clone();
                tokio::spawn(async move {
                    verifier
                        .validate(ValidateRequest::new(Some("pt_concurrent_tasks")))
                        .await
                        .expect("no internal error")
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
    assert_eq!(tally(&codes), (1, 99), "{codes:?}");
    assert_eq!(mock.stats().validate_calls, 1);
}

#[test]
fn hundred_concurrent_threads_blocking_entry_point() {
    let mock = common::mock();
    common::script(
        &mock,
        "pt_concurrent_threads",
        serde_json::json!({ "delay_ms": 100 }),
    );
    let verifier = Arc::new(common::verifier(common::options_for(&mock.base_url)));
    let barrier = Arc::new(std::sync::Barrier::new(100));
    let threads: Vec<_> = (0..100)
        .map(|_| {
            let verifier = verifier.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                verifier
                    .validate_blocking(ValidateRequest::new(Some("pt_concurrent_threads")))
                    .expect("no internal error")
                    .code
            })
        })
        .collect();
    let codes: Vec<OutcomeCode> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert_eq!(tally(&codes), (1, 99), "{codes:?}");
    assert_eq!(mock.stats().validate_calls, 1);
}

#[test]
fn thousand_sequential_validations_use_one_connection() {
    let mock = common::mock();
    let verifier = common::verifier(common::options_for(&mock.base_url));
    for i in 0..1000 {
        let token = format!("pt_sequential_{i}");
        let outcome = verifier
            .validate_blocking(ValidateRequest::new(Some(&token)))
            .expect("no internal error");
        assert_eq!(outcome.code, OutcomeCode::Passed, "call {i}");
    }
    let stats = mock.stats();
    assert_eq!(stats.validate_calls, 1000);
    assert_eq!(stats.api_connections, 1, "{stats:?}");
    assert_eq!(stats.connections_accepted, 1, "{stats:?}");
}

#[test]
fn async_and_blocking_share_one_pool() {
    let mock = common::mock();
    let verifier = common::verifier(common::options_for(&mock.base_url));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for i in 0..20 {
        let token = format!("pt_mixed_{i}");
        let outcome = if i % 2 == 0 {
            verifier.validate_blocking(ValidateRequest::new(Some(&token)))
        } else {
            runtime.block_on(verifier.validate(ValidateRequest::new(Some(&token))))
        };
        assert_eq!(outcome.expect("outcome").code, OutcomeCode::Passed);
    }
    // Dropping the caller's runtime must not break the pool either.
    drop(runtime);
    let outcome = verifier.validate_blocking(ValidateRequest::new(Some("pt_mixed_after")));
    assert_eq!(outcome.expect("outcome").code, OutcomeCode::Passed);
    assert_eq!(mock.stats().api_connections, 1);
}
