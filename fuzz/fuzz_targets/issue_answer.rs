//! The issue answer reader on any status and body: never panics, and a
//! server token only comes out of a 2xx answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::fuzzing::read_issue_answer;

fuzz_target!(|input: &[u8]| {
    let Some((&[hi, lo], body)) = input.split_first_chunk::<2>() else {
        return;
    };
    let status = if hi & 0x80 == 0 { 200 } else { 100 + u16::from_be_bytes([hi & 0x7f, lo]) % 500 };
    if read_issue_answer(status, body).is_ok() {
        assert!(!(300..400).contains(&status) && status < 500 && status != 429);
    }
});
