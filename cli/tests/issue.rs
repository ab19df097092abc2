//! issue_server_token against the emulator.

mod common;

use passgate_core::{Error, IssueRequest, Options, OutcomeCode};
use serde_json::json;

fn request(action: &str) -> IssueRequest {
    IssueRequest {
        action: action.into(),
        binding_ip: Some("203.0.113.7".into()),
        ttl: Some(120),
        max_uses: Some(1),
        bind_uid: Some("user-1".into()),
    }
}

#[test]
fn issues_a_server_token() {
    let mock = common::mock();
    let verifier = common::verifier(common::options_for(&mock.base_url));
    let token = verifier
        .issue_server_token_blocking(request("login"))
        .expect("issued");
    assert!(token.server_token.starts_with("sct_"), "{token:?}");
    assert_eq!(token.expires_in, Some(120));
    assert!(token.issued_at.is_some());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let token = runtime
        .block_on(verifier.issue_server_token(request("pay")))
        .expect("issued async");
    assert!(token.server_token.starts_with("sct_"));
    assert_eq!(mock.stats().issue_calls, 2);
}

#[test]
fn issue_failures_are_typed() {
    let mock = common::mock();
    let verifier = common::verifier(common::options_for(&mock.base_url));
    let code_of = |result: Result<_, Error>| match result {
        Err(Error::Issue(failure)) => failure.code,
        other => panic!("expected an issue failure, got {other:?}"),
    };
    assert_eq!(
        code_of(verifier.issue_server_token_blocking(request(" "))),
        OutcomeCode::Rejected
    );
    common::script(&mock, "issue:busy", json!({ "http_status": 503 }));
    assert_eq!(
        code_of(verifier.issue_server_token_blocking(request("busy"))),
        OutcomeCode::UpstreamUnavailable
    );
    common::script(
        &mock,
        "issue:limited",
        json!({ "error": "rate_limit_exceeded", "error_in": "envelope" }),
    );
    assert_eq!(
        code_of(verifier.issue_server_token_blocking(request("limited"))),
        OutcomeCode::RateLimited
    );
    let wrong = common::verifier(Options {
        app_secret: Some("nope".into()),
        ..common::options_for(&mock.base_url)
    });
    assert_eq!(
        code_of(wrong.issue_server_token_blocking(request("login"))),
        OutcomeCode::Misconfigured
    );
}

#[test]
fn test_mode_issues_without_network() {
    let verifier = common::verifier(Options {
        mode: Some("test".into()),
        environment: Some("test".into()),
        api_base: Some("http://127.0.0.1:1".into()),
        ..Options::default()
    });
    let token = verifier
        .issue_server_token_blocking(request("login"))
        .expect("issued");
    assert!(token.server_token.starts_with("sct_test_"));
}
