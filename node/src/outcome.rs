//! Core results as plain JSON values for JavaScript: every field of
//! `passgate_core::OUTCOME_FIELDS`, camelCased, through one converter (the
//! log record keeps its snake_case keys: it is data for log pipelines).

use passgate_core::{camel_case, FieldValue, LogValue, Outcome, ServerToken};
use serde_json::{Map, Value};

fn entries(entries: &[(&'static str, LogValue)], case: fn(&str) -> String) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(key, value)| (case(key), Value::from(value)))
            .collect::<Map<_, _>>(),
    )
}

pub(crate) fn outcome_json(outcome: &Outcome) -> Value {
    let fields = outcome
        .fields()
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                FieldValue::Value(v) => Value::from(&v),
                FieldValue::Record(e) => entries(&e, camel_case),
                FieldValue::Data(e) => entries(&e, str::to_string),
            };
            (camel_case(name), value)
        })
        .collect::<Map<_, _>>();
    Value::Object(fields)
}

pub(crate) fn server_token_json(token: &ServerToken) -> Value {
    serde_json::json!({
        "serverToken": token.server_token,
        "expiresIn": token.expires_in,
        "issuedAt": token.issued_at,
    })
}
