//! Token inspection on any text: never panics; a usable token is printable
//! ASCII within the size limit; an oversized one is never fingerprinted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::fuzzing::inspect_token;
use passgate_core::{OutcomeCode, MAX_TOKEN_BYTES};

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    // Stretch some inputs past the limit.
    let text = if input.first() == Some(&b'~') { text.repeat(64) } else { text.into_owned() };
    let (code, fingerprint) = inspect_token(Some(&text), "fuzz-secret");
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    match code {
        None => {
            assert!(trimmed.len() <= MAX_TOKEN_BYTES);
            assert!(trimmed.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            assert!(fingerprint.is_some());
        }
        Some(OutcomeCode::MissingToken) => assert!(trimmed.is_empty()),
        Some(OutcomeCode::MalformedToken) => {
            if trimmed.len() > MAX_TOKEN_BYTES {
                assert!(fingerprint.is_none(), "an oversized token was hashed");
            }
        }
        Some(other) => panic!("unexpected {other:?}"),
    }
});
