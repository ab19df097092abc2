//! The one structured log record per `validate` call (DESIGN §4). Bindings
//! turn `LogFields::entries()` into their host's dict/object/Hash/array; the
//! keys and their order are the same in every language.

use serde::Serialize;

/// The value of one log field, in a form every host language has.
#[derive(Debug, Clone, PartialEq)]
pub enum LogValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl From<&LogValue> for serde_json::Value {
    fn from(value: &LogValue) -> Self {
        match value {
            LogValue::Null => serde_json::Value::Null,
            LogValue::Bool(b) => (*b).into(),
            LogValue::Int(i) => (*i).into(),
            LogValue::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            LogValue::Str(s) => s.clone().into(),
        }
    }
}

/// The log record. Holds no secret and no raw token: `token_fingerprint` is
/// an HMAC prefix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogFields {
    pub event: &'static str,
    pub outcome: &'static str,
    pub ok: bool,
    pub category: &'static str,
    pub provider: &'static str,
    pub environment: String,
    pub action: Option<String>,
    pub token_present: bool,
    pub token_type: Option<&'static str>,
    pub token_fingerprint: Option<String>,
    pub token_age_ms: Option<i64>,
    pub client_ip: Option<String>,
    pub upstream_called: bool,
    pub upstream_status: Option<u16>,
    pub upstream_error: Option<String>,
    pub upstream_latency_ms: Option<f64>,
    pub latency_ms: f64,
    pub attempts: u32,
    pub replay_store: &'static str,
    /// Live claims the memory store evicted early because it was full, since
    /// it was made (a flood of unique tokens shows here); null for other
    /// stores.
    pub replay_evictions: Option<u64>,
    pub challenge_id: Option<String>,
    pub risk_score: Option<i64>,
    /// The page's host name as the provider reports it (siteverify).
    pub hostname: Option<String>,
    /// The provider's score as sent (reCAPTCHA: 1.0 = human; hCaptcha
    /// Enterprise: higher = riskier).
    pub score: Option<f64>,
    pub policy: Option<&'static str>,
}

/// Every key of the record, in order. Conformance checks this list.
pub const LOG_KEYS: [&str; 25] = [
    "event",
    "outcome",
    "ok",
    "category",
    "provider",
    "environment",
    "action",
    "token_present",
    "token_type",
    "token_fingerprint",
    "token_age_ms",
    "client_ip",
    "upstream_called",
    "upstream_status",
    "upstream_error",
    "upstream_latency_ms",
    "latency_ms",
    "attempts",
    "replay_store",
    "replay_evictions",
    "challenge_id",
    "risk_score",
    "hostname",
    "score",
    "policy",
];

fn opt_str(value: &Option<String>) -> LogValue {
    value.clone().map_or(LogValue::Null, LogValue::Str)
}

impl LogFields {
    /// `(key, value)` pairs in `LOG_KEYS` order.
    pub fn entries(&self) -> Vec<(&'static str, LogValue)> {
        use LogValue::*;
        let values = [
            Str(self.event.into()),
            Str(self.outcome.into()),
            Bool(self.ok),
            Str(self.category.into()),
            Str(self.provider.into()),
            Str(self.environment.clone()),
            opt_str(&self.action),
            Bool(self.token_present),
            self.token_type.map_or(Null, |t| Str(t.into())),
            opt_str(&self.token_fingerprint),
            self.token_age_ms.map_or(Null, Int),
            opt_str(&self.client_ip),
            Bool(self.upstream_called),
            self.upstream_status.map_or(Null, |s| Int(s.into())),
            opt_str(&self.upstream_error),
            self.upstream_latency_ms.map_or(Null, Float),
            Float(self.latency_ms),
            Int(self.attempts.into()),
            Str(self.replay_store.into()),
            self.replay_evictions
                .map_or(Null, |n| Int(i64::try_from(n).unwrap_or(i64::MAX))),
            opt_str(&self.challenge_id),
            self.risk_score.map_or(Null, Int),
            opt_str(&self.hostname),
            self.score.map_or(Null, Float),
            self.policy.map_or(Null, |p| Str(p.into())),
        ];
        LOG_KEYS.into_iter().zip(values).collect()
    }

    /// The record as a JSON object (keys in `LOG_KEYS` order when printed).
    pub fn to_json(&self) -> serde_json::Value {
        let map = self
            .entries()
            .iter()
            .map(|(key, value)| ((*key).to_string(), serde_json::Value::from(value)))
            .collect::<serde_json::Map<_, _>>();
        serde_json::Value::Object(map)
    }

    /// Every field in one line, for text loggers that take no structured
    /// data: `passgate.validate outcome="passed" ok=true …` (values as JSON).
    pub fn to_line(&self) -> String {
        let mut line = String::from("passgate.validate");
        if let serde_json::Value::Object(fields) = self.to_json() {
            for (key, value) in fields.iter().filter(|(key, _)| *key != "event") {
                line.push_str(&format!(" {key}={value}"));
            }
        }
        line
    }

    /// A one-line summary for text loggers: `outcome=… key=value …`.
    pub fn summary(&self) -> String {
        format!(
            "passgate.validate outcome={} action={} token_type={} fingerprint={} upstream_status={} latency_ms={:.1}",
            self.outcome,
            self.action.as_deref().unwrap_or("-"),
            self.token_type.unwrap_or("-"),
            self.token_fingerprint.as_deref().unwrap_or("-"),
            self.upstream_status.map_or("-".to_string(), |s| s.to_string()),
            self.latency_ms,
        )
    }
}
