//! Tests of the answer reader: envelopes, strictness, error strings.
use std::time::Duration;

use super::*;

fn answer(status: u16, body: &str) -> ValidateAnswer {
    interpret_validate(&Exchange::answered(status, body.as_bytes()), "pt_the_token")
}

#[test]
fn valid_nested_and_flat() {
    let a = answer(
        200,
        r#"{"code":0,"msg":"ok","data":{"valid":true,"challenge_id":"c1","action":"login","uid":null,
           "captcha_args":{"platform":"web","user_ip":"1.2.3.4","solved_at":1700000000,"risk_score":12}}}"#,
    );
    assert_eq!(a.failure, None);
    assert_eq!(a.challenge_id.as_deref(), Some("c1"));
    assert_eq!(a.action.as_deref(), Some("login"));
    assert_eq!(a.uid, None);
    assert_eq!(a.risk_score, Some(12));
    let args = a.captcha_args.expect("args");
    assert_eq!(args.solved_at, Some(1_700_000_000));
    assert_eq!(args.user_ip.as_deref(), Some("1.2.3.4"));

    let flat = answer(
        200,
        r#"{"code":0,"data":{"ok":true,"client_ip":"5.6.7.8","risk_score":40}}"#,
    );
    assert_eq!(flat.failure, None);
    assert_eq!(flat.risk_score, Some(40));
    assert_eq!(
        flat.captcha_args.expect("args").user_ip.as_deref(),
        Some("5.6.7.8")
    );
}

#[test]
fn failures() {
    let a = answer(
        200,
        r#"{"code":0,"msg":"ok","data":{"valid":false,"error":"token_expired"}}"#,
    );
    assert_eq!(a.failure, Some(OutcomeCode::Expired));
    assert_eq!(a.upstream_error.as_deref(), Some("token_expired"));
    let a = answer(
        200,
        r#"{"code":0,"msg":"token_consumed","data":{"valid":false}}"#,
    );
    assert_eq!(a.failure, Some(OutcomeCode::Replayed));
    let a = answer(
        200,
        r#"{"code":40001,"msg":"invalid_app_secret","data":null}"#,
    );
    assert_eq!(a.failure, Some(OutcomeCode::Misconfigured));
    let a = answer(
        200,
        r#"{"code":0,"data":{"valid":false,"error":"brand_new_error"}}"#,
    );
    assert_eq!(a.failure, Some(OutcomeCode::Rejected));
    let a = answer(
        200,
        r#"{"code":0,"data":{"valid":false,"degraded":true,"reason":"quota"}}"#,
    );
    assert_eq!(a.failure, Some(OutcomeCode::Degraded));
    assert_eq!(a.upstream_error.as_deref(), Some("quota"));
    assert_eq!(
        answer(200, "<html>").failure,
        Some(OutcomeCode::UpstreamUnavailable)
    );
    assert_eq!(
        answer(200, r#"{"code":0}"#).failure,
        Some(OutcomeCode::UpstreamUnavailable)
    );
    assert_eq!(
        answer(200, r#"{"code":0,"data":{}}"#).failure,
        Some(OutcomeCode::UpstreamUnavailable)
    );
    assert_eq!(
        answer(502, "bad gateway").failure,
        Some(OutcomeCode::UpstreamUnavailable)
    );
    assert_eq!(answer(429, "").failure, Some(OutcomeCode::RateLimited));
    assert_eq!(answer(401, "").failure, Some(OutcomeCode::Misconfigured));
    assert_eq!(
        answer(404, "").failure,
        Some(OutcomeCode::UpstreamUnavailable)
    );
}

#[test]
fn every_listed_upstream_error_maps() {
    let table = [
        ("invalid_token", OutcomeCode::Rejected),
        ("empty_token", OutcomeCode::MissingToken),
        ("token_consumed", OutcomeCode::Replayed),
        ("token_expired", OutcomeCode::Expired),
        ("token_action_mismatch", OutcomeCode::ActionMismatch),
        ("token_ip_mismatch", OutcomeCode::IpMismatch),
        ("token_uid_mismatch", OutcomeCode::UidMismatch),
        ("rate_limit_exceeded", OutcomeCode::RateLimited),
        ("invalid_action", OutcomeCode::Rejected),
        ("invalid_app_key", OutcomeCode::Misconfigured),
        ("invalid_app_secret", OutcomeCode::Misconfigured),
        ("app_disabled", OutcomeCode::Misconfigured),
        ("unknown_error", OutcomeCode::Rejected),
    ];
    for (error, code) in table {
        assert_eq!(code_for_upstream_error(error), code, "{error}");
    }
}
#[test]
fn valid_must_be_a_boolean() {
    for body in [
        r#"{"code":0,"data":{"valid":"false","ok":true}}"#,
        r#"{"code":0,"data":{"valid":"true"}}"#,
        r#"{"code":0,"data":{"valid":1}}"#,
        r#"{"code":0,"data":{"ok":"true"}}"#,
        r#"{"code":0,"data":{"valid":null,"ok":true}}"#,
        r#"{"code":0,"data":{"valid":true,"ok":false}}"#,
        r#"{"code":0,"data":{"valid":false,"ok":true}}"#,
    ] {
        let a = answer(200, body);
        assert_eq!(a.failure, Some(OutcomeCode::UpstreamUnavailable), "{body}");
        assert_eq!(a.upstream_error.as_deref(), Some("bad_answer"), "{body}");
    }
    assert_eq!(
        answer(200, r#"{"code":0,"data":{"valid":true,"ok":true}}"#).failure,
        None
    );
}

#[test]
fn duplicate_keys_are_refused() {
    for body in [
        r#"{"code":0,"data":{"valid":false,"error":"invalid_token","valid":true}}"#,
        r#"{"code":1,"code":0,"data":{"valid":true}}"#,
        r#"{"code":0,"data":{"valid":false},"data":{"valid":true}}"#,
    ] {
        let a = answer(200, body);
        assert_eq!(a.failure, Some(OutcomeCode::UpstreamUnavailable), "{body}");
        assert_eq!(a.upstream_error.as_deref(), Some("duplicate_key"), "{body}");
    }
}

#[test]
fn solved_at_readings() {
    let read = |value: &str| {
        answer(
            200,
            &format!(
                r#"{{"code":0,"data":{{"valid":true,"captcha_args":{{"solved_at":{value}}}}}}}"#
            ),
        )
        .solved_at
    };
    assert_eq!(read("1700000000"), SolvedAt::Unix(1_700_000_000));
    assert_eq!(read(r#""1700000000""#), SolvedAt::Unix(1_700_000_000));
    assert_eq!(read("1700000000.7"), SolvedAt::Unix(1_700_000_000));
    assert_eq!(read("1e300"), SolvedAt::Unix(i64::MAX));
    assert_eq!(read("-5"), SolvedAt::Unix(-5));
    assert_eq!(read("null"), SolvedAt::Absent);
    for unreadable in [
        r#""yesterday""#,
        "true",
        r#""""#,
        r#""-5""#,
        "[]",
        "{}",
        r#""1e3""#,
    ] {
        assert_eq!(read(unreadable), SolvedAt::Unreadable, "{unreadable}");
    }
}

#[test]
fn upstream_errors_are_machine_codes_only() {
    let token = "pt_the_token";
    let long = "x".repeat(65);
    let cases = [
        ("token_expired", "token_expired"),
        (" TOKEN_EXPIRED\n", "token_expired"),
        ("v2.error-code_9", "v2.error-code_9"),
        ("invalid token pt_the_token", "unrecognized"),
        ("pt_the_token", "unrecognized"),
        ("prefix-PT_THE_TOKEN-suffix", "unrecognized"),
        ("line one\nline two", "unrecognized"),
        ("caf\u{e9}", "unrecognized"),
        (long.as_str(), "unrecognized"),
    ];
    for (raw, logged) in cases {
        let body =
            serde_json::json!({"code": 0, "data": {"valid": false, "error": raw}}).to_string();
        let a = answer(200, &body);
        assert_eq!(a.upstream_error.as_deref(), Some(logged), "{raw:?}");
        assert_eq!(machine_code(raw, Some(token)), logged, "{raw:?}");
    }
    // The mapping still reads the raw string.
    assert_eq!(
        answer(
            200,
            r#"{"code":0,"data":{"valid":false,"error":"TOKEN_EXPIRED"}}"#
        )
        .failure,
        Some(OutcomeCode::Expired)
    );
    // A 64 KiB error in msg, with newlines, never reaches the record.
    let huge = format!("evil\n{}", "y".repeat(60_000));
    let body = serde_json::json!({"code": 40000, "msg": huge, "data": null}).to_string();
    assert_eq!(
        answer(200, &body).upstream_error.as_deref(),
        Some("unrecognized")
    );
    let degraded =
        r#"{"code":0,"data":{"valid":false,"degraded":true,"reason":"quota for pt_the_token"}}"#;
    assert_eq!(
        answer(200, degraded).upstream_error.as_deref(),
        Some("unrecognized")
    );
}

#[test]
fn status_and_transport_name_the_failure() {
    let cases = [
        (
            502,
            "bad gateway",
            OutcomeCode::UpstreamUnavailable,
            "http_502",
        ),
        (503, "{}", OutcomeCode::UpstreamUnavailable, "http_503"),
        (401, "", OutcomeCode::Misconfigured, "http_401"),
        (429, "", OutcomeCode::RateLimited, "http_429"),
        (
            429,
            r#"{"code":42900,"msg":"rate_limit_exceeded","data":null}"#,
            OutcomeCode::RateLimited,
            "rate_limit_exceeded",
        ),
        (404, "<html>", OutcomeCode::UpstreamUnavailable, "http_404"),
        (200, "<html>", OutcomeCode::UpstreamUnavailable, "not_json"),
        (200, "[1]", OutcomeCode::UpstreamUnavailable, "bad_answer"),
        (
            200,
            r#"{"code":"0"}"#,
            OutcomeCode::UpstreamUnavailable,
            "bad_answer",
        ),
        (
            200,
            r#"{"code":0}"#,
            OutcomeCode::UpstreamUnavailable,
            "bad_answer",
        ),
    ];
    for (status, body, code, error) in cases {
        let a = answer(status, body);
        assert_eq!(a.failure, Some(code), "{status} {body}");
        assert_eq!(a.upstream_error.as_deref(), Some(error), "{status} {body}");
    }
    let redirect = interpret_validate(
        &Exchange {
            status: Some(302),
            body: Err("redirect_refused"),
            attempts: 1,
            latency: Duration::ZERO,
        },
        "pt_x",
    );
    assert_eq!(redirect.failure, Some(OutcomeCode::UpstreamUnavailable));
    assert_eq!(redirect.upstream_error.as_deref(), Some("redirect_refused"));
}
