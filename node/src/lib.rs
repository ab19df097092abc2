//! The native addon behind the `passgate` npm package. Parses JS arguments
//! into core types, makes one core call (a Promise for `validate`), and
//! converts the result. Logging, argument type checks and Express live in JS.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi_derive::napi;

mod outcome;
// Public: its #[napi] functions are exports of the addon, which a private
// module would make dead code under `cargo clippy --all-targets`.
pub mod report;
mod verifier;

/// Error codes JavaScript sees as `err.code`.
pub const CONFIG: &str = "PASSGATE_CONFIG";
pub const INTERNAL: &str = "PASSGATE_INTERNAL";
pub const ISSUE: &str = "PASSGATE_ISSUE";

pub type JsResult<T> = napi::Result<T, String>;

/// The one place a core error gets its JavaScript `code` and message.
pub(crate) fn error_parts(error: &passgate_core::Error) -> (&'static str, String) {
    match error {
        passgate_core::Error::Config(e) => (CONFIG, e.to_string()),
        passgate_core::Error::Issue(e) => (ISSUE, e.to_string()),
        passgate_core::Error::Internal(message) => {
            (INTERNAL, format!("passgate internal error: {message}"))
        }
    }
}

/// Synchronous calls throw: `err.code` is the code above.
pub(crate) fn to_js_error(error: passgate_core::Error) -> napi::Error<String> {
    let (code, message) = error_parts(&error);
    napi::Error::new(code.to_string(), message)
}

/// Async calls cannot reject with a custom code, so they resolve to
/// `{value}` or `{error: {code, message, ...}}` and the JS layer throws.
pub(crate) fn settle(result: Result<serde_json::Value, passgate_core::Error>) -> serde_json::Value {
    match result {
        Ok(value) => serde_json::json!({ "value": value }),
        Err(error) => {
            let (code, message) = error_parts(&error);
            let mut detail = serde_json::json!({ "code": code, "message": message });
            if let passgate_core::Error::Issue(failure) = &error {
                detail["outcome"] = failure.code.as_str().into();
                detail["upstreamError"] = failure.upstream_error.clone().into();
                detail["upstreamStatus"] = failure.upstream_status.into();
            }
            serde_json::json!({ "error": detail })
        }
    }
}

/// The one place synchronous work runs: a panic becomes `PASSGATE_INTERNAL`
/// instead of aborting the Node process.
pub(crate) fn guarded<T>(
    work: impl FnOnce() -> std::result::Result<T, passgate_core::Error>,
) -> JsResult<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(to_js_error),
        Err(_) => Err(napi::Error::new(
            INTERNAL.to_string(),
            "passgate internal error: a panic was caught".to_string(),
        )),
    }
}

/// The user-safe message for an outcome code in a language.
#[napi]
pub fn message_for(code: String, lang: String) -> Option<&'static str> {
    passgate_core::OutcomeCode::parse(&code).map(|c| c.message_for(&lang))
}

/// Whether a failed request should get JSON (framework helpers).
#[napi]
pub fn wants_json(accept: String, content_type: String, requested_with: String) -> bool {
    passgate_core::wants_json(&accept, &content_type, &requested_with)
}

/// The language an Accept-Language header prefers (else `en`).
#[napi]
pub fn preferred_language(accept_language: String) -> String {
    passgate_core::preferred_language(&accept_language)
}

/// The HTML failure page for a (translated) message.
#[napi]
pub fn failure_page(message: String, lang: String) -> String {
    passgate_core::failure_page(&message, &lang)
}

/// The methods framework helpers let through unverified.
#[napi]
pub fn safe_methods() -> Vec<&'static str> {
    passgate_core::SAFE_METHODS.to_vec()
}

#[napi]
pub fn log_keys() -> Vec<&'static str> {
    passgate_core::LOG_KEYS.to_vec()
}

#[napi]
pub fn outcome_codes() -> Vec<&'static str> {
    passgate_core::OutcomeCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect()
}

#[napi]
pub fn outcome_fields() -> Vec<String> {
    passgate_core::OUTCOME_FIELDS
        .iter()
        .map(|name| passgate_core::camel_case(name))
        .collect()
}

#[napi]
pub fn option_names() -> Vec<String> {
    passgate_core::OPTION_NAMES
        .iter()
        .map(|name| passgate_core::camel_case(name))
        .collect()
}
