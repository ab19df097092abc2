//! Every case of conformance/cases.json through the Rust core, against the
//! real `passgate mock` binary over loopback.

mod common;

use std::collections::HashSet;

use passgate_cli::conformance;
use passgate_core::{OutcomeCode, LOG_KEYS};
use serde_json::Value;

#[test]
fn every_case_passes_against_the_emulator_binary() {
    let cases_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/cases.json");
    let mock = common::MockProcess::spawn(&["--script", cases_path]);
    let results = conformance::run(&mock.base_url, false).expect("run cases");
    let failures: Vec<String> = results
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| format!("{}[{}]: {}", r.case, r.index, r.problems.join("; ")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing calls:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(results.len() >= 40, "only {} calls", results.len());
}

#[test]
fn cases_cover_every_code_and_log_key() {
    let doc = conformance::cases().expect("parse");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let calls: Vec<&Value> = cases
        .iter()
        .flat_map(|c| c["calls"].as_array().expect("calls"))
        .collect();
    let codes: HashSet<&str> = calls
        .iter()
        .filter_map(|c| c["expect"]["code"].as_str())
        .collect();
    for code in OutcomeCode::ALL {
        assert!(codes.contains(code.as_str()), "no case for {code}");
    }
    for provider in ["recaptcha", "hcaptcha", "turnstile"] {
        let count = cases
            .iter()
            .filter(|c| c["provider"].as_str() == Some(provider))
            .count();
        assert!(count >= 25, "{count} cases for {provider}");
    }
    let keys: HashSet<&str> = calls
        .iter()
        .flat_map(|c| {
            c["expect"]["log_fields"]
                .as_object()
                .expect("log_fields")
                .keys()
        })
        .map(String::as_str)
        .collect();
    for key in LOG_KEYS {
        assert!(keys.contains(key), "no case checks log key {key}");
    }
    let listed: Vec<&str> = doc["log_keys"]
        .as_array()
        .expect("log_keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(listed, LOG_KEYS);
    // Scripted tokens are unique: one emulator serves every case.
    let mut scripted = HashSet::new();
    for call in &calls {
        if call.get("emulator").is_some() {
            let token = call["token"].as_str().expect("scripted calls name a token");
            let first_use = scripted.insert(token);
            let repeated_in_same_case = cases.iter().any(|c| {
                c["calls"]
                    .as_array()
                    .expect("calls")
                    .iter()
                    .filter(|x| x["token"] == call["token"])
                    .count()
                    > 1
            });
            assert!(
                first_use || repeated_in_same_case,
                "token {token} scripted twice"
            );
        }
    }
}
