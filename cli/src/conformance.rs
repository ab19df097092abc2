//! Runs `conformance/cases.json` through the Rust core: the reference runner
//! the other languages mirror (see `conformance/README.md`), and the source
//! of the `passgate demo` walk-through.

use passgate_core::{OptionValue, Options, Outcome, ValidateRequest, Verifier, LOG_KEYS};
use serde_json::Value;

/// The case file, compiled in so the demo needs nothing beside the binary.
pub const CASES_JSON: &str = include_str!("../../conformance/cases.json");

pub fn cases() -> Result<Value, String> {
    serde_json::from_str(CASES_JSON).map_err(|e| format!("cases.json: {e}"))
}

fn option_value(value: &Value, emulator: &str) -> OptionValue {
    match value {
        Value::Null => OptionValue::Null,
        Value::Bool(b) => OptionValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => OptionValue::Int(i),
            None => n.as_f64().map_or(OptionValue::Null, OptionValue::Float),
        },
        Value::String(s) => OptionValue::Str(s.replace("{emulator}", emulator)),
        Value::Array(items) => OptionValue::List(
            items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().to_string())
                .collect(),
        ),
        other => OptionValue::Str(other.to_string()),
    }
}

/// A case's options as the file gives them: `defaults.options`, then the
/// case's provider's `defaults.provider_options`, then the case's own.
pub fn options_of(doc: &Value, case: &Value) -> serde_json::Map<String, Value> {
    let provider = case["provider"].as_str().unwrap_or("captchala");
    let layers = [
        &doc["defaults"]["options"],
        &doc["defaults"]["provider_options"][provider],
        &case["options"],
    ];
    let mut merged = serde_json::Map::new();
    for layer in layers {
        for (name, value) in layer.as_object().into_iter().flatten() {
            merged.insert(name.clone(), value.clone());
        }
    }
    merged
}

/// The verifier for one case (see `options_of`). Values are given
/// explicitly, so the environment does not leak in.
pub fn verifier_for(doc: &Value, case: &Value, emulator: &str) -> Result<Verifier, String> {
    let mut options = Options::default();
    for (name, value) in options_of(doc, case) {
        options
            .set(&name, option_value(&value, emulator))
            .map_err(|e| e.to_string())?;
    }
    passgate_core::Config::resolve(options)
        .map(Verifier::from_config)
        .map_err(|e| e.to_string())
}

/// The token of a call: `token` (string or null) or `token_repeat`.
pub fn token_of(call: &Value) -> Option<String> {
    if let Some(repeat) = call.get("token_repeat") {
        let prefix = repeat["prefix"].as_str().unwrap_or("");
        let unit = repeat["char"].as_str().unwrap_or("a");
        let count = repeat["count"].as_u64().unwrap_or(0) as usize;
        return Some(format!("{prefix}{}", unit.repeat(count)));
    }
    call.get("token")
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub fn request_of(call: &Value) -> ValidateRequest {
    let text = |key: &str| call.get(key).and_then(Value::as_str).map(str::to_string);
    ValidateRequest {
        token: token_of(call),
        client_ip: text("client_ip"),
        action: text("action"),
        uid: text("uid"),
        keep_token: call
            .get("keep_token")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

/// Does `actual` satisfy the expected value or matcher?
pub fn matches(expected: &Value, actual: &Value) -> bool {
    if let Some(range) = expected.get("$between").and_then(Value::as_array) {
        let (Some(lo), Some(hi), Some(x)) = (
            range.first().and_then(Value::as_f64),
            range.get(1).and_then(Value::as_f64),
            actual.as_f64(),
        ) else {
            return false;
        };
        return lo <= x && x <= hi;
    }
    if let Some(kind) = expected.get("$type").and_then(Value::as_str) {
        return match kind {
            "number" => actual.is_number(),
            "string" => actual.is_string(),
            "bool" => actual.is_boolean(),
            "null" => actual.is_null(),
            _ => false,
        };
    }
    match (expected.as_f64(), actual.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => expected == actual,
    }
}

/// Every difference between an outcome and a call's `expect`, as text.
pub fn check(outcome: &Outcome, expect: &Value, secrets: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let actual = outcome.to_json();
    for key in ["ok", "code", "category", "retryable", "http_status"] {
        if let Some(expected) = expect.get(key) {
            if !matches(expected, &actual[key]) {
                problems.push(format!("{key}: expected {expected}, got {}", actual[key]));
            }
        }
    }
    let fields = &actual["log_fields"];
    let keys: Vec<&str> = fields
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    if keys != LOG_KEYS {
        problems.push(format!("log keys differ: {keys:?}"));
    }
    for (key, expected) in expect["log_fields"].as_object().into_iter().flatten() {
        if !matches(expected, &fields[key]) {
            problems.push(format!(
                "log_fields.{key}: expected {expected}, got {}",
                fields[key]
            ));
        }
    }
    let printed = format!("{actual} {outcome:?}");
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if printed.contains(secret) {
            problems.push("a secret or the raw token appears in the outcome".into());
        }
    }
    problems
}

/// One executed call, for reports.
pub struct CallResult {
    pub case: String,
    pub index: usize,
    pub outcome: Outcome,
    pub problems: Vec<String>,
}

/// Run the cases (all, or those with `"demo": true`) against `emulator`.
pub fn run(emulator: &str, demo_only: bool) -> Result<Vec<CallResult>, String> {
    let doc = cases()?;
    let mut results = Vec::new();
    for case in doc["cases"].as_array().into_iter().flatten() {
        if demo_only && case.get("demo").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let name = case["name"].as_str().unwrap_or("?").to_string();
        let verifier = verifier_for(&doc, case, emulator).map_err(|e| format!("{name}: {e}"))?;
        let options = options_of(&doc, case);
        let secret = options
            .get("app_secret")
            .or(options.get("secret_key"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for (index, call) in case["calls"].as_array().into_iter().flatten().enumerate() {
            let request = request_of(call);
            let token = request.token.clone().unwrap_or_default();
            let outcome = verifier
                .validate_blocking(request)
                .map_err(|e| format!("{name}[{index}]: {e}"))?;
            let problems = check(&outcome, &call["expect"], &[&secret, token.trim()]);
            results.push(CallResult {
                case: name.clone(),
                index,
                outcome,
                problems,
            });
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn test_mode_outcome(token: &str) -> Outcome {
        let mut options = Options::default();
        options
            .set("mode", OptionValue::Str("test".into()))
            .expect("mode");
        options
            .set("environment", OptionValue::Str("test".into()))
            .expect("env");
        let verifier =
            Verifier::from_config(passgate_core::Config::resolve(options).expect("config"));
        verifier
            .validate_blocking(request_of(&json!({ "token": token })))
            .expect("outcome")
    }

    #[test]
    fn check_reports_every_kind_of_difference() {
        let outcome = test_mode_outcome("pt_test_expired");
        let right = json!({ "code": "expired", "http_status": 400, "log_fields": { "outcome": "expired", "latency_ms": { "$type": "number" } } });
        assert!(check(&outcome, &right, &[]).is_empty());
        let wrong = json!({ "code": "passed", "retryable": false, "log_fields": { "attempts": 3, "token_age_ms": { "$between": [1, 2] }, "latency_ms": { "$type": "string" } } });
        assert_eq!(
            check(&outcome, &wrong, &[]).len(),
            5,
            "{:?}",
            check(&outcome, &wrong, &[])
        );
        let fingerprint = outcome
            .log_fields
            .token_fingerprint
            .clone()
            .expect("fingerprint");
        assert_eq!(check(&outcome, &right, &[&fingerprint]).len(), 1);
    }

    #[test]
    fn matchers() {
        assert!(matches(&json!(2), &json!(2.0)));
        assert!(!matches(&json!(null), &json!(0)));
        assert!(matches(&json!({ "$between": [1, 3] }), &json!(3)));
        assert!(!matches(&json!({ "$between": [1, 3] }), &json!(null)));
        assert!(matches(&json!({ "$type": "null" }), &json!(null)));
    }
}
