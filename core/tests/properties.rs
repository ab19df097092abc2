//! Property tests for the parsers that read untrusted input: upstream
//! answers and raw tokens. A few thousand generated cases each, run by
//! `cargo test` (the fuzz targets in fuzz/ go further).

use passgate_core::fuzzing::{inspect_token, read_issue_answer, read_validate_answer};
use passgate_core::{answer, transport, OutcomeCode, MAX_TOKEN_BYTES, MAX_UPSTREAM_ERROR_LEN};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("valid"),
            Just("ok"),
            Just("true"),
            Just("false"),
            Just("token_expired"),
            Just("yesterday"),
            Just("1700000000"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Keys the parser looks at, and some it does not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("code"),
        Just("msg"),
        Just("data"),
        Just("valid"),
        Just("ok"),
        Just("error"),
        Just("degraded"),
        Just("reason"),
        Just("captcha_args"),
        Just("solved_at"),
        Just("action"),
        Just("uid"),
        Just("risk_score"),
        Just("server_token"),
        Just("other"),
    ]
    .prop_map(str::to_string)
}

/// Envelopes shaped like the real thing, with any values inside.
fn envelope() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just(json!(0)), Just(json!(40001)), any_json()],
        any_json(),
        proptest::collection::vec((key(), any_json()), 0..8),
        prop_oneof![Just(None), any::<bool>().prop_map(Some)],
    )
        .prop_map(|(code, msg, data, valid)| {
            let mut data: Map<String, Value> = data.into_iter().collect();
            if let Some(valid) = valid {
                data.insert("valid".into(), Value::Bool(valid));
            }
            json!({ "code": code, "msg": msg, "data": data })
        })
}

fn is_machine_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_UPSTREAM_ERROR_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

const TOKEN: &str = "pt_PropertyToken";

proptest! {
    #![proptest_config(config(4096))]

    /// Whatever comes back, the reading is total, a pass needs an answer
    /// whose `data.valid` (or `data.ok`) is the boolean true, and
    /// `upstream_error` is always a short machine code.
    #[test]
    fn validate_answers(status in prop_oneof![Just(200u16), 100u16..600], body in envelope()) {
        let text = body.to_string();
        let reading = read_validate_answer(status, text.as_bytes(), TOKEN);
        if reading.failure.is_none() {
            prop_assert!(!(300..400).contains(&status));
            let data = &body["data"];
            let flag = data.get("valid").or_else(|| data.get("ok"));
            prop_assert_eq!(flag, Some(&Value::Bool(true)), "passed: {}", text);
            prop_assert_eq!(body["code"].as_i64(), Some(0));
        }
        if let Some(error) = &reading.upstream_error {
            prop_assert!(is_machine_code(error), "{:?}", error);
            prop_assert!(!error.contains("propertytoken"));
        }
    }

    /// Raw bytes never make the reader panic, and never pass unless they
    /// are JSON.
    #[test]
    fn arbitrary_bytes(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let reading = read_validate_answer(status, &body, TOKEN);
        if reading.failure.is_none() {
            prop_assert!(serde_json::from_slice::<Value>(&body).is_ok());
        }
        let _ = read_issue_answer(status, &body);
    }

    /// A 3xx never passes, whatever its body says.
    #[test]
    fn redirects_never_pass(status in 300u16..400, body in envelope()) {
        let reading = read_validate_answer(status, body.to_string().as_bytes(), TOKEN);
        prop_assert_eq!(reading.failure, Some(OutcomeCode::UpstreamUnavailable));
    }

    /// An error string that carries the token never reaches the record.
    #[test]
    fn echoed_tokens_are_not_copied(prefix in "[a-z_ ]{0,10}", suffix in "[a-z_]{0,10}") {
        let error = format!("{prefix}{}{suffix}", TOKEN.to_ascii_lowercase());
        let body = json!({"code": 0, "data": {"valid": false, "error": error}});
        let reading = read_validate_answer(200, body.to_string().as_bytes(), TOKEN);
        prop_assert_eq!(reading.upstream_error.as_deref(), Some(answer::UNRECOGNIZED));
    }

    /// Tokens: total; usable ones are printable ASCII within the limit and
    /// fingerprinted; oversized ones are never fingerprinted.
    #[test]
    fn tokens(raw in proptest::collection::vec(any::<char>(), 0..64), pad in 0usize..8) {
        let token: String = raw.into_iter().collect::<String>() + &"a".repeat(pad);
        let (code, fingerprint) = inspect_token(Some(&token), "secret");
        let trimmed = token.trim_matches(|c: char| c.is_ascii_whitespace());
        match code {
            None => {
                prop_assert!(trimmed.bytes().all(|b| (0x21..=0x7e).contains(&b)));
                prop_assert!(trimmed.len() <= MAX_TOKEN_BYTES);
            }
            Some(OutcomeCode::MissingToken) => prop_assert!(trimmed.is_empty()),
            Some(code) => prop_assert!(
                matches!(code, OutcomeCode::MalformedToken),
                "{:?}", code
            ),
        }
        if let Some(fingerprint) = fingerprint {
            prop_assert_eq!(fingerprint.len(), 16);
            prop_assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn oversized_tokens_are_not_hashed(extra in 1usize..4096) {
        let token = format!("pt_{}", "x".repeat(MAX_TOKEN_BYTES + extra));
        prop_assert_eq!(inspect_token(Some(&token), "secret"), (Some(OutcomeCode::MalformedToken), None));
    }
}

#[test]
fn documented_codes_are_machine_codes() {
    for code in transport::ALL.iter().chain(answer::ALL.iter()) {
        assert!(is_machine_code(code), "{code}");
    }
}
