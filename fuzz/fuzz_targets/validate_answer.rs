//! The validate answer reader on any status and body: never panics, passes
//! only JSON whose `data.valid`/`data.ok` is `true`, and logs only short
//! machine codes that never hold the token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::fuzzing::read_validate_answer;

const TOKEN: &str = "pt_FuzzToken";

fuzz_target!(|input: &[u8]| {
    let Some((&[hi, lo], body)) = input.split_first_chunk::<2>() else {
        return;
    };
    // Mostly 200, sometimes any status.
    let status = if hi & 0x80 == 0 { 200 } else { 100 + u16::from_be_bytes([hi & 0x7f, lo]) % 500 };
    let reading = read_validate_answer(status, body, TOKEN);
    if reading.failure.is_none() {
        assert!(!(300..400).contains(&status), "a redirect passed");
        let value: serde_json::Value = serde_json::from_slice(body).expect("a pass is JSON");
        let data = &value["data"];
        let flag = data.get("valid").or_else(|| data.get("ok"));
        assert_eq!(flag, Some(&serde_json::Value::Bool(true)), "passed without valid:true");
    }
    if let Some(error) = reading.upstream_error {
        assert!(!error.is_empty() && error.len() <= 64, "{error:?}");
        assert!(
            error.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)),
            "{error:?}"
        );
        assert!(!error.contains("pt_fuzztoken"), "{error:?}");
    }
});
