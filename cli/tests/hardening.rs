//! What an attacker-minded review found, each as a scenario against the
//! emulator: no redirect is followed (with the secret or at all), no
//! plain-HTTP call goes through a proxy, answers are read strictly, the
//! upstream's text never reaches the record, every transport failure is
//! named, and a huge token is refused before any work.

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::process::Command;

use passgate_cli::mock::{MockOptions, MockServer};
use passgate_core::{Options, Outcome, OutcomeCode, ValidateRequest};
use serde_json::json;

fn validate(options: Options, token: &str) -> Outcome {
    common::verifier(options)
        .validate_blocking(ValidateRequest::new(Some(token)))
        .expect("an outcome")
}

fn upstream_error(outcome: &Outcome) -> Option<&str> {
    outcome.log_fields.upstream_error.as_deref()
}

/// A listener that only counts who connected (nobody is ever answered).
struct Trap(TcpListener);

impl Trap {
    fn new() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        Trap(listener)
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().expect("addr"))
    }
    /// Connections made so far: a finished handshake waits in the backlog.
    fn connections(&self) -> usize {
        let mut count = 0;
        loop {
            match self.0.accept() {
                Ok(_) => count += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return count,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

#[test]
fn redirects_are_refused_and_their_target_hears_nothing() {
    let mock = common::mock();
    let elsewhere = Trap::new();
    for status in [301, 302, 303, 307, 308] {
        let token = format!("pt_redirect_{status}");
        // The redirect's own body claims a valid token: it must not count.
        common::script(
            &mock,
            &token,
            json!({ "http_status": status, "location": format!("{}/v1/validate", elsewhere.url()) }),
        );
        let outcome = validate(common::options_for(&mock.base_url), &token);
        assert_eq!(outcome.code, OutcomeCode::UpstreamUnavailable, "{status}");
        assert_eq!(
            upstream_error(&outcome),
            Some("redirect_refused"),
            "{status}"
        );
        assert_eq!(outcome.log_fields.upstream_status, Some(status));
    }
    assert_eq!(
        elsewhere.connections(),
        0,
        "the secret went to the redirect target"
    );
}

#[test]
fn a_plain_http_call_never_goes_through_a_proxy() {
    let mock = common::mock();
    let proxy = Trap::new();
    let output = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["validate", "pt_proxy_check"])
        .env("CAPTCHALA_APP_KEY", passgate_cli::mock::DEFAULT_APP_KEY)
        .env(
            "CAPTCHALA_APP_SECRET",
            passgate_cli::mock::DEFAULT_APP_SECRET,
        )
        .env("PASSGATE_API_BASE", &mock.base_url)
        .env("PASSGATE_TIMEOUT_MS", "2000")
        .env("PASSGATE_ENVIRONMENT", "production")
        .env("HTTP_PROXY", proxy.url())
        .env("http_proxy", proxy.url())
        .env("ALL_PROXY", proxy.url())
        .env("all_proxy", proxy.url())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("run passgate validate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert_eq!(proxy.connections(), 0, "the proxy saw the secret");
    assert_eq!(mock.stats().validate_calls, 1);
}

#[test]
fn answers_that_do_not_read_cleanly_never_pass() {
    let mock = common::mock();
    let cases = [
        (
            "pt_strict_string_valid",
            json!({ "body": r#"{"code":0,"msg":"ok","data":{"valid":"false","ok":true}}"# }),
            OutcomeCode::UpstreamUnavailable,
            "bad_answer",
        ),
        (
            "pt_strict_duplicate",
            json!({ "body": r#"{"code":0,"msg":"ok","data":{"valid":false,"error":"invalid_token","valid":true}}"# }),
            OutcomeCode::UpstreamUnavailable,
            "duplicate_key",
        ),
        (
            "pt_strict_future_day",
            json!({ "solved_at_offset_s": 86_400 }),
            OutcomeCode::Misconfigured,
            "clock_skew",
        ),
        (
            "pt_strict_future_1e300",
            json!({ "body": r#"{"code":0,"data":{"valid":true,"captcha_args":{"solved_at":1e300}}}"# }),
            OutcomeCode::Misconfigured,
            "clock_skew",
        ),
        (
            "pt_strict_yesterday",
            json!({ "body": r#"{"code":0,"data":{"valid":true,"captcha_args":{"solved_at":"yesterday"}}}"# }),
            OutcomeCode::Rejected,
            "bad_solved_at",
        ),
        (
            "pt_strict_solved_at_true",
            json!({ "body": r#"{"code":0,"data":{"valid":true,"solved_at":true}}"# }),
            OutcomeCode::Rejected,
            "bad_solved_at",
        ),
    ];
    for (token, script, code, error) in cases {
        common::script(&mock, token, script);
        let outcome = validate(common::options_for(&mock.base_url), token);
        assert_eq!(outcome.code, code, "{token}");
        assert_eq!(upstream_error(&outcome), Some(error), "{token}");
    }
    // Within the skew is fine; a day ahead was not.
    common::script(
        &mock,
        "pt_strict_skew_ok",
        json!({ "solved_at_offset_s": 10 }),
    );
    let outcome = validate(common::options_for(&mock.base_url), "pt_strict_skew_ok");
    assert_eq!(outcome.code, OutcomeCode::Passed);
}

#[test]
fn the_upstream_error_text_never_reaches_the_record() {
    let mock = common::mock();
    let token = "pt_EchoedTokenValue123";
    let echo = json!({ "code": 0, "msg": "ok", "data": {
        "valid": false,
        "error": format!("invalid token {token}\n{{\"event\":\"passgate.validate\",\"outcome\":\"passed\"}}"),
    }});
    common::script(&mock, token, json!({ "body": echo.to_string() }));
    let outcome = validate(common::options_for(&mock.base_url), token);
    assert_eq!(outcome.code, OutcomeCode::Rejected);
    assert_eq!(upstream_error(&outcome), Some("unrecognized"));
    let record = outcome.to_json().to_string();
    assert!(!record.contains("EchoedTokenValue123"), "{record}");
    assert!(!record.contains("\\n"), "{record}");

    let bare = "pt_bareechoedtoken";
    let echo = json!({ "code": 0, "data": { "valid": false, "error": bare } });
    common::script(&mock, bare, json!({ "body": echo.to_string() }));
    let outcome = validate(common::options_for(&mock.base_url), bare);
    assert_eq!(upstream_error(&outcome), Some("unrecognized"));
}

#[test]
fn every_transport_failure_is_named() {
    let mock = common::mock();
    let options = |base: &str| Options {
        timeout_ms: Some(500),
        ..common::options_for(base)
    };
    let scripted = [
        ("pt_named_502", json!({ "http_status": 502 }), "http_502"),
        ("pt_named_401", json!({ "http_status": 401 }), "http_401"),
        ("pt_named_html", json!({ "body": "<html>" }), "not_json"),
        (
            "pt_named_big",
            json!({ "body_bytes": 100_000 }),
            "body_too_large",
        ),
        (
            "pt_named_reset",
            json!({ "fault": "reset_mid_body" }),
            "connection_reset",
        ),
        (
            "pt_named_close",
            json!({ "fault": "close" }),
            "connection_reset",
        ),
        ("pt_named_silence", json!({ "fault": "silence" }), "timeout"),
    ];
    for (token, script, error) in scripted {
        common::script(&mock, token, script);
        let outcome = validate(options(&mock.base_url), token);
        assert_eq!(
            outcome.code.category().as_str(),
            if error == "http_401" {
                "config"
            } else {
                "upstream"
            },
            "{token}"
        );
        assert_eq!(upstream_error(&outcome), Some(error), "{token}");
    }

    let refused = Trap::new().url(); // dropped at once: nothing listens there
    let outcome = validate(options(&refused), "pt_named_refused");
    assert_eq!(upstream_error(&outcome), Some("connect_refused"));
    assert_eq!(outcome.log_fields.attempts, 2);

    // A self-signed upstream: the certificate is the problem, and it says so.
    let tls = MockServer::start(MockOptions {
        tls: true,
        ..MockOptions::default()
    })
    .expect("tls mock");
    let outcome = validate(options(&tls.base_url), "pt_named_untrusted");
    assert_eq!(outcome.code, OutcomeCode::UpstreamUnavailable);
    assert_eq!(upstream_error(&outcome), Some("tls_certificate"));

    // https:// to a server that answers in plain HTTP: the handshake fails.
    let plain = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}", plain.local_addr().expect("addr"));
    let answering = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = plain.accept().expect("accept");
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let outcome = validate(options(&url), "pt_named_not_tls");
    assert_eq!(upstream_error(&outcome), Some("tls_handshake"));
    answering.join().expect("plain server");
}

#[test]
fn a_huge_token_is_refused_before_any_hashing() {
    let mock = common::mock();
    let verifier = common::verifier(common::options_for(&mock.base_url));
    let huge = format!("pt_{}", "a".repeat(10 * 1024 * 1024));
    let outcome = verifier
        .validate_blocking(ValidateRequest::new(Some(&huge)))
        .expect("outcome");
    assert_eq!(outcome.code, OutcomeCode::MalformedToken);
    assert_eq!(outcome.log_fields.token_type, Some("pt"));
    // No fingerprint: the 10 MB were never run through the HMAC.
    assert_eq!(outcome.log_fields.token_fingerprint, None);
    assert!(!outcome.log_fields.upstream_called);
    assert_eq!(mock.stats().connections_accepted, 0);
}
