//! Outcome codes (DESIGN §3) and the `Outcome` a validation returns.

use serde::Serialize;

use crate::log::{LogFields, LogValue};
use crate::messages;
use crate::token::TokenType;

/// The stable outcome code. Its string form (`as_str`) is public API in every
/// language; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeCode {
    Passed,
    MissingToken,
    MalformedToken,
    Replayed,
    Expired,
    ActionMismatch,
    UidMismatch,
    IpMismatch,
    HostnameMismatch,
    ScoreTooLow,
    Rejected,
    Unverifiable,
    Degraded,
    RateLimited,
    Misconfigured,
    UpstreamUnavailable,
    StoreUnavailable,
}

/// Who has to act for a failure to go away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Passed,
    Client,
    Upstream,
    Config,
    Store,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Passed => "passed",
            Category::Client => "client",
            Category::Upstream => "upstream",
            Category::Config => "config",
            Category::Store => "store",
        }
    }
}

impl OutcomeCode {
    pub const ALL: [OutcomeCode; 17] = [
        OutcomeCode::Passed,
        OutcomeCode::MissingToken,
        OutcomeCode::MalformedToken,
        OutcomeCode::Replayed,
        OutcomeCode::Expired,
        OutcomeCode::ActionMismatch,
        OutcomeCode::UidMismatch,
        OutcomeCode::IpMismatch,
        OutcomeCode::HostnameMismatch,
        OutcomeCode::ScoreTooLow,
        OutcomeCode::Rejected,
        OutcomeCode::Unverifiable,
        OutcomeCode::Degraded,
        OutcomeCode::RateLimited,
        OutcomeCode::Misconfigured,
        OutcomeCode::UpstreamUnavailable,
        OutcomeCode::StoreUnavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeCode::Passed => "passed",
            OutcomeCode::MissingToken => "missing_token",
            OutcomeCode::MalformedToken => "malformed_token",
            OutcomeCode::Replayed => "replayed",
            OutcomeCode::Expired => "expired",
            OutcomeCode::ActionMismatch => "action_mismatch",
            OutcomeCode::UidMismatch => "uid_mismatch",
            OutcomeCode::IpMismatch => "ip_mismatch",
            OutcomeCode::HostnameMismatch => "hostname_mismatch",
            OutcomeCode::ScoreTooLow => "score_too_low",
            OutcomeCode::Rejected => "rejected",
            OutcomeCode::Unverifiable => "unverifiable",
            OutcomeCode::Degraded => "degraded",
            OutcomeCode::RateLimited => "rate_limited",
            OutcomeCode::Misconfigured => "misconfigured",
            OutcomeCode::UpstreamUnavailable => "upstream_unavailable",
            OutcomeCode::StoreUnavailable => "store_unavailable",
        }
    }

    pub fn parse(code: &str) -> Option<OutcomeCode> {
        OutcomeCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    pub fn ok(self) -> bool {
        self == OutcomeCode::Passed
    }

    pub fn category(self) -> Category {
        use OutcomeCode::*;
        match self {
            Passed => Category::Passed,
            MissingToken | MalformedToken | Replayed | Expired | ActionMismatch | UidMismatch
            | IpMismatch | HostnameMismatch | ScoreTooLow | Rejected | Unverifiable => {
                Category::Client
            }
            Degraded | RateLimited | UpstreamUnavailable => Category::Upstream,
            Misconfigured => Category::Config,
            StoreUnavailable => Category::Store,
        }
    }

    /// "Can this user succeed by solving a fresh challenge now, with nobody
    /// changing any config?"
    pub fn retryable(self) -> bool {
        !matches!(
            self,
            OutcomeCode::Passed
                | OutcomeCode::UidMismatch
                | OutcomeCode::HostnameMismatch
                | OutcomeCode::Misconfigured
        )
    }

    pub fn http_status(self) -> u16 {
        use OutcomeCode::*;
        match self {
            Passed => 200,
            MissingToken | MalformedToken | Expired | ActionMismatch | Rejected | Unverifiable => {
                400
            }
            Replayed => 409,
            UidMismatch | IpMismatch | HostnameMismatch | ScoreTooLow => 403,
            RateLimited => 429,
            Misconfigured => 500,
            Degraded | UpstreamUnavailable | StoreUnavailable => 503,
        }
    }

    /// Transient failures release the replay claim so the user can retry
    /// with the same token.
    pub(crate) fn releases_claim(self) -> bool {
        matches!(
            self,
            OutcomeCode::UpstreamUnavailable | OutcomeCode::RateLimited
        )
    }

    /// The user-safe English sentence.
    pub fn message(self) -> &'static str {
        messages::message_for(self, "en")
    }

    pub fn message_for(self, lang: &str) -> &'static str {
        messages::message_for(self, lang)
    }
}

impl std::fmt::Display for OutcomeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `captcha_args` as the upstream reports them; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaptchaArgs {
    pub platform: Option<String>,
    pub user_ip: Option<String>,
    pub referer: Option<String>,
    pub pkg: Option<String>,
    pub solved_at: Option<i64>,
    pub risk_score: Option<i64>,
}

/// The result of one `validate` call. Never carries the raw token or secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub code: OutcomeCode,
    /// The provider that was asked (or would have been).
    pub provider: &'static str,
    /// The raw upstream error string, when the upstream gave one.
    pub upstream_error: Option<String>,
    pub token_type: Option<TokenType>,
    pub token_age_ms: Option<i64>,
    pub challenge_id: Option<String>,
    /// The action the token was solved for, as the upstream reports it.
    pub action: Option<String>,
    /// The uid the token is bound to, as the upstream reports it.
    pub uid: Option<String>,
    pub risk_score: Option<i64>,
    pub captcha_args: Option<CaptchaArgs>,
    /// The page's host name, from providers that report one.
    pub hostname: Option<String>,
    /// The provider's score as sent (reCAPTCHA: 1.0 = human; hCaptcha
    /// Enterprise: higher = riskier). CaptchaLa's is `risk_score`.
    pub score: Option<f64>,
    /// Turnstile's customer data, as the page set it.
    pub cdata: Option<String>,
    pub log_fields: LogFields,
}

/// The value of one outcome field, in a form every host language has.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Value(LogValue),
    /// A nested record; bindings case its keys as they case field names.
    Record(Vec<(&'static str, LogValue)>),
    /// Data for log pipelines: keys stay snake_case in every language.
    Data(Vec<(&'static str, LogValue)>),
}

/// Every field of an `Outcome`, in order: bindings expose exactly these
/// (camelCased in JavaScript and PHP) through one generic converter, so a new
/// field is added here and in `Outcome::fields` only.
pub const OUTCOME_FIELDS: [&str; 20] = [
    "ok",
    "code",
    "category",
    "retryable",
    "http_status",
    "message",
    "provider",
    "upstream_error",
    "token_type",
    "token_age_ms",
    "challenge_id",
    "action",
    "uid",
    "risk_score",
    "hostname",
    "score",
    "cdata",
    "captcha_args",
    "log_fields",
    "log_message",
];

/// `http_status` → `httpStatus`: field names as JavaScript and PHP spell them.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.code.ok()
    }
    pub fn category(&self) -> Category {
        self.code.category()
    }
    pub fn retryable(&self) -> bool {
        self.code.retryable()
    }
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }
    pub fn message(&self) -> &'static str {
        self.code.message()
    }
    pub fn message_for(&self, lang: &str) -> &'static str {
        self.code.message_for(lang)
    }

    /// One field by its `OUTCOME_FIELDS` name; `None` for another name.
    /// Bindings call this per attribute access, so only that field is built.
    pub fn field(&self, name: &str) -> Option<FieldValue> {
        use LogValue::{Bool, Int, Null, Str};
        let text = |v: &Option<String>| v.clone().map_or(Null, Str);
        let int = |v: Option<i64>| v.map_or(Null, Int);
        let value = match name {
            "ok" => Bool(self.ok()),
            "code" => Str(self.code.as_str().into()),
            "category" => Str(self.category().as_str().into()),
            "retryable" => Bool(self.retryable()),
            "http_status" => Int(self.http_status().into()),
            "message" => Str(self.message().into()),
            "provider" => Str(self.provider.into()),
            "upstream_error" => text(&self.upstream_error),
            "token_type" => self.token_type.map_or(Null, |t| Str(t.as_str().into())),
            "token_age_ms" => int(self.token_age_ms),
            "challenge_id" => text(&self.challenge_id),
            "action" => text(&self.action),
            "uid" => text(&self.uid),
            "risk_score" => int(self.risk_score),
            "hostname" => text(&self.hostname),
            "score" => self.score.map_or(Null, LogValue::Float),
            "cdata" => text(&self.cdata),
            "captcha_args" => {
                return Some(match &self.captcha_args {
                    None => FieldValue::Value(Null),
                    Some(args) => FieldValue::Record(vec![
                        ("platform", text(&args.platform)),
                        ("user_ip", text(&args.user_ip)),
                        ("referer", text(&args.referer)),
                        ("pkg", text(&args.pkg)),
                        ("solved_at", int(args.solved_at)),
                        ("risk_score", int(args.risk_score)),
                    ]),
                })
            }
            "log_fields" => return Some(FieldValue::Data(self.log_fields.entries())),
            "log_message" => Str(self.log_fields.summary()),
            _ => return None,
        };
        Some(FieldValue::Value(value))
    }

    /// `(name, value)` for every name in `OUTCOME_FIELDS`, in order.
    pub fn fields(&self) -> Vec<(&'static str, FieldValue)> {
        OUTCOME_FIELDS
            .into_iter()
            .filter_map(|name| self.field(name).map(|value| (name, value)))
            .collect()
    }

    /// The whole outcome as JSON, snake_case keys (the CLI prints this).
    pub fn to_json(&self) -> serde_json::Value {
        let pairs = |entries: Vec<(&'static str, LogValue)>| {
            entries
                .iter()
                .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(v)))
                .collect::<serde_json::Map<_, _>>()
        };
        let map = self
            .fields()
            .into_iter()
            .map(|(name, value)| {
                let value = match value {
                    FieldValue::Value(v) => serde_json::Value::from(&v),
                    FieldValue::Record(entries) | FieldValue::Data(entries) => {
                        serde_json::Value::Object(pairs(entries))
                    }
                };
                (name.to_string(), value)
            })
            .collect::<serde_json::Map<_, _>>();
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_field_has_a_value_and_no_other_name_does() {
        let outcome = crate::Verifier::new(crate::Options {
            mode: Some("test".into()),
            environment: Some("test".into()),
            ..crate::Options::default()
        })
        .expect("verifier")
        .validate_blocking(crate::ValidateRequest::new(Some("pt_test_passed")))
        .expect("outcome");
        assert_eq!(outcome.fields().len(), OUTCOME_FIELDS.len());
        assert_eq!(outcome.field("nope"), None);
        assert_eq!(camel_case("http_status"), "httpStatus");
        assert_eq!(camel_case("log_fields"), "logFields");
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        for code in OutcomeCode::ALL {
            assert_eq!(OutcomeCode::parse(code.as_str()), Some(code));
            let serialized = serde_json::to_value(code).expect("serialize");
            assert_eq!(serialized, code.as_str());
        }
        assert_eq!(OutcomeCode::parse("nope"), None);
    }

    #[test]
    fn table_matches_design() {
        // (code, ok, category, retryable, http_status) from DESIGN.md §3.
        let table = [
            ("passed", true, "passed", false, 200),
            ("missing_token", false, "client", true, 400),
            ("malformed_token", false, "client", true, 400),
            ("replayed", false, "client", true, 409),
            ("expired", false, "client", true, 400),
            ("action_mismatch", false, "client", true, 400),
            ("uid_mismatch", false, "client", false, 403),
            ("ip_mismatch", false, "client", true, 403),
            ("hostname_mismatch", false, "client", false, 403),
            ("score_too_low", false, "client", true, 403),
            ("rejected", false, "client", true, 400),
            ("unverifiable", false, "client", true, 400),
            ("degraded", false, "upstream", true, 503),
            ("rate_limited", false, "upstream", true, 429),
            ("misconfigured", false, "config", false, 500),
            ("upstream_unavailable", false, "upstream", true, 503),
            ("store_unavailable", false, "store", true, 503),
        ];
        assert_eq!(table.len(), OutcomeCode::ALL.len());
        for (name, ok, category, retryable, status) in table {
            let code = OutcomeCode::parse(name).expect(name);
            assert_eq!(code.ok(), ok, "{name}");
            assert_eq!(code.category().as_str(), category, "{name}");
            assert_eq!(code.retryable(), retryable, "{name}");
            assert_eq!(code.http_status(), status, "{name}");
        }
    }
}
