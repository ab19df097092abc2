//! The fault matrix: every transport or upstream failure maps to its DESIGN §3
//! code within the timeout, and bad input never reaches the upstream.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use passgate_core::{Options, OutcomeCode, ValidateRequest};
use serde_json::json;

const TIMEOUT_MS: u64 = 500;

fn run(options: Options, token: &str) -> (passgate_core::Outcome, Duration) {
    let verifier = common::verifier(Options {
        timeout_ms: Some(TIMEOUT_MS),
        ..options
    });
    let started = Instant::now();
    let outcome = verifier
        .validate_blocking(ValidateRequest::new(Some(token)))
        .expect("no internal error");
    (outcome, started.elapsed())
}

/// Within the timeout plus scheduling slack on a busy 2-core machine.
fn assert_bounded(elapsed: Duration) {
    assert!(
        elapsed < Duration::from_millis(TIMEOUT_MS + 1500),
        "took {elapsed:?}"
    );
}

#[test]
fn scripted_faults_map_to_their_codes() {
    let mock = common::mock();
    let matrix = [
        (
            "pt_fault_500",
            json!({ "http_status": 500 }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_502",
            json!({ "http_status": 502 }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_503",
            json!({ "http_status": 503 }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_429",
            json!({ "http_status": 429 }),
            OutcomeCode::RateLimited,
        ),
        (
            "pt_fault_401",
            json!({ "http_status": 401 }),
            OutcomeCode::Misconfigured,
        ),
        (
            "pt_fault_html",
            json!({ "body": "<html>oops</html>" }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_10mb",
            json!({ "body_bytes": 10 * 1024 * 1024 }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_no_data",
            json!({ "no_data": true }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_reset",
            json!({ "fault": "reset_mid_body" }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_silence",
            json!({ "fault": "silence" }),
            OutcomeCode::UpstreamUnavailable,
        ),
        (
            "pt_fault_slow",
            json!({ "delay_ms": 3000 }),
            OutcomeCode::UpstreamUnavailable,
        ),
    ];
    for (token, script, expected) in matrix {
        common::script(&mock, token, script);
        let (outcome, elapsed) = run(common::options_for(&mock.base_url), token);
        assert_eq!(outcome.code, expected, "{token}");
        assert_bounded(elapsed);
        assert!(outcome.log_fields.upstream_called, "{token}");
        assert_eq!(
            outcome.log_fields.attempts, 1,
            "{token}: no retry once the request was sent"
        );
    }
    // Only 1 request per token reached the emulator.
    assert_eq!(mock.stats().validate_calls, 11);
}

#[test]
fn connection_refused_retries_once() {
    // Bind then drop: the port is free and nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let (outcome, elapsed) = run(common::options_for(&base), "pt_refused");
    assert_eq!(outcome.code, OutcomeCode::UpstreamUnavailable);
    assert_eq!(outcome.log_fields.attempts, 2);
    assert_eq!(outcome.log_fields.upstream_status, None);
    assert_bounded(elapsed);
}

#[test]
fn accept_then_silence_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    // Accept and read, never answer; hold the sockets until the test ends.
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            held.push(stream);
            std::thread::sleep(Duration::from_millis(TIMEOUT_MS + 500));
        }
        held.len()
    });
    let (outcome, elapsed) = run(common::options_for(&base), "pt_silence");
    assert_eq!(outcome.code, OutcomeCode::UpstreamUnavailable);
    assert_eq!(outcome.log_fields.attempts, 1);
    assert!(
        elapsed >= Duration::from_millis(TIMEOUT_MS - 50),
        "{elapsed:?}"
    );
    assert_bounded(elapsed);
    assert_eq!(holder.join().expect("holder"), 1);
}

#[test]
fn bad_input_never_reaches_the_upstream() {
    let mock = common::mock();
    let verifier = common::verifier(common::options_for(&mock.base_url));
    let long = format!("pt_{}", "a".repeat(5 * 1024));
    let inputs: [(Option<&str>, OutcomeCode); 8] = [
        (None, OutcomeCode::MissingToken),
        (Some(""), OutcomeCode::MissingToken),
        (Some("  \t\r\n"), OutcomeCode::MissingToken),
        (Some(&long), OutcomeCode::MalformedToken),
        (Some("pt_nul\0inside"), OutcomeCode::MalformedToken),
        (Some("pt_ünïcode"), OutcomeCode::MalformedToken),
        (Some("sct_server_token"), OutcomeCode::MalformedToken),
        (Some("co_made_in_browser"), OutcomeCode::Unverifiable),
    ];
    for (token, expected) in inputs {
        let outcome = verifier
            .validate_blocking(ValidateRequest::new(token))
            .expect("outcome");
        assert_eq!(
            outcome.code,
            expected,
            "{:?}",
            token.map(|t| &t[..t.len().min(20)])
        );
        assert!(!outcome.log_fields.upstream_called);
    }
    assert_eq!(mock.stats().validate_calls, 0);
    assert_eq!(mock.stats().connections_accepted, 0);
}

#[test]
fn internal_error_is_an_error_and_the_process_lives_on() {
    let test_mode = || {
        common::verifier(Options {
            mode: Some("test".into()),
            environment: Some("test".into()),
            ..Options::default()
        })
    };
    let verifier = test_mode();
    let err = verifier
        .validate_blocking(ValidateRequest::new(Some("pt_test_internal_error")))
        .expect_err("a panic inside the core is an error");
    assert!(matches!(err, passgate_core::Error::Internal(_)), "{err:?}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // A fresh verifier: the first one's replay guard holds that token now.
    let verifier = test_mode();
    let err = runtime
        .block_on(verifier.validate(ValidateRequest::new(Some("pt_test_internal_error"))))
        .expect_err("async too");
    assert!(matches!(err, passgate_core::Error::Internal(_)), "{err:?}");
    // validate_then hands the panic to its callback, on the core's thread.
    let verifier = test_mode();
    let (sender, answers) = std::sync::mpsc::channel();
    for token in ["pt_test_internal_error", "pt_test_passed"] {
        let sender = sender.clone();
        verifier.validate_then(ValidateRequest::new(Some(token)), move |result| {
            let _ = sender.send(result.map(|outcome| outcome.code));
        });
    }
    let mut results: Vec<_> = (0..2)
        .map(|_| {
            answers
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("an answer")
        })
        .collect();
    results.sort_by_key(|r| r.is_ok());
    assert!(
        matches!(results[0], Err(passgate_core::Error::Internal(_))),
        "{results:?}"
    );
    assert!(matches!(results[1], Ok(OutcomeCode::Passed)), "{results:?}");
    // The runtimes survived every panic: the thread's own and the shared one.
    let verifier = test_mode();
    let outcome = verifier
        .validate_blocking(ValidateRequest::new(Some("pt_test_passed")))
        .expect("outcome");
    assert_eq!(outcome.code, OutcomeCode::Passed);
    let outcome = runtime
        .block_on(verifier.validate(ValidateRequest::new(Some("pt_test_expired"))))
        .expect("outcome");
    assert_eq!(outcome.code, OutcomeCode::Expired);
}
