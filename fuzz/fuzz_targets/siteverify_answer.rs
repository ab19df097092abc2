//! The siteverify answer reader (reCAPTCHA, hCaptcha, Turnstile) on any
//! status and body: never panics, passes only a 2xx JSON object whose
//! `success` is `true` with no error codes, and logs only short machine codes
//! that never hold the token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::fuzzing::read_siteverify_answer;
use passgate_core::ProviderKind;

const TOKEN: &str = "FuzzToken";

fuzz_target!(|input: &[u8]| {
    let Some((&[which, hi, lo], body)) = input.split_first_chunk::<3>() else {
        return;
    };
    let provider = ProviderKind::SITEVERIFY[usize::from(which) % 3];
    // Mostly 200, sometimes any status.
    let status = if hi & 0x80 == 0 { 200 } else { 100 + u16::from_be_bytes([hi & 0x7f, lo]) % 500 };
    let reading = read_siteverify_answer(provider, status, body, TOKEN);
    if reading.failure.is_none() {
        assert!((200..300).contains(&status), "passed with status {status}");
        let value: serde_json::Value = serde_json::from_slice(body).expect("a pass is JSON");
        assert_eq!(value["success"], serde_json::Value::Bool(true), "passed without success:true");
        let codes = value.get("error-codes").and_then(|c| c.as_array());
        assert!(codes.is_none_or(|c| c.is_empty()), "passed with error codes");
    }
    if let Some(error) = reading.upstream_error {
        assert!(!error.is_empty() && error.len() <= 64, "{error:?}");
        assert!(
            error.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)),
            "{error:?}"
        );
        assert!(!error.contains("fuzztoken"), "{error:?}");
    }
});
