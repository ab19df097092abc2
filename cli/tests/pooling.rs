//! Connection reuse: sequential validations share one pooled connection.
//! Kept apart from the concurrency tests, whose load would make the pool open
//! extra connections (correct, but not what is measured here).

mod common;

use passgate_core::{OutcomeCode, ValidateRequest};

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

/// The blocking API runs on the calling thread's own runtime and pool, the
/// async API on the shared one: one connection each, both reused.
#[test]
fn async_and_blocking_each_reuse_one_connection() {
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
    // Dropping the caller's runtime must not break either pool.
    drop(runtime);
    let outcome = verifier.validate_blocking(ValidateRequest::new(Some("pt_mixed_after")));
    assert_eq!(outcome.expect("outcome").code, OutcomeCode::Passed);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let outcome = runtime.block_on(verifier.validate(ValidateRequest::new(Some("pt_mixed_async"))));
    assert_eq!(outcome.expect("outcome").code, OutcomeCode::Passed);
    assert_eq!(mock.stats().api_connections, 2);
}
