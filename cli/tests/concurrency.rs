//! The replay guard under concurrency.

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
