//! passgate-core: verifies CAPTCHA pass tokens on the server.
//!
//! Everything that decides lives here — the upstream call, the replay and
//! expiry checks, the outcome code and the log record — so that every
//! language binding gives the same answer for the same input. Bindings parse
//! host arguments into [`Options`] / [`ValidateRequest`], make one call, and
//! convert the [`Outcome`] back.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod config;
pub mod doctor;
mod error;
mod forksafe;
mod http;
mod log;
mod messages;
pub mod metrics;
mod options;
mod outcome;
mod provider;
mod redis_store;
mod replay;
mod runtime;
mod strict_json;
mod token;
mod validate;
mod verifier;
mod web;
mod widget;

pub use config::{
    is_development_environment, redact_url, AnswerChecks, Config, ConfigError, Mode, Policy,
    StoreSpec, DEFAULT_API_BASE, DEFAULT_BACKUP_API_BASE, DEVELOPMENT_ENVIRONMENTS,
};
pub use error::Error;
pub use http::{transport, MAX_BODY_BYTES};
pub use log::{LogFields, LogValue, LOG_KEYS};
pub use messages::LANGUAGES;
pub use options::{
    option_spec, OptionKind, OptionSpec, OptionValue, Options, ProviderKind, OPTIONS, OPTION_NAMES,
};
pub use outcome::{
    camel_case, CaptchaArgs, Category, FieldValue, Outcome, OutcomeCode, OUTCOME_FIELDS,
};
pub use provider::{
    answer, canonical_ip, code_for_siteverify_error, code_for_upstream_error, machine_code,
    parse_timestamp, IssueFailure, ServerToken, MAX_UPSTREAM_ERROR_LEN,
};
pub use redis_store::RedisStore;
pub use replay::{Claim, MemoryStore, NoStore, ReplayStore, StoreError, StoreFuture};
pub use token::{fingerprint, TokenRules, TokenType, MAX_TOKEN_BYTES};
pub use validate::token_age_ms;
pub use verifier::{IssueRequest, ValidateRequest, Verifier};
pub use web::{failure_page, preferred_language, wants_json, SAFE_METHODS};
pub use widget::{
    bootstrap_hash_source, csp_markdown_table, default_script_url, escape, WidgetArgs,
    BOOTSTRAP_JS, WIDGET_ARGS,
};

/// Entry points for fuzz targets and property tests: the parsers that read
/// untrusted input, without a network or a runtime. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::http::Exchange;
    use crate::outcome::OutcomeCode;
    use crate::provider::{self, SolvedAt};
    use crate::token::{self, Inspection};

    /// What one validate answer decides, as plain values.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Reading {
        pub failure: Option<OutcomeCode>,
        pub upstream_error: Option<String>,
        /// `Some(Some(t))` readable, `Some(None)` unreadable, `None` absent.
        pub solved_at: Option<Option<i64>>,
    }

    fn reading(answer: provider::ValidateAnswer) -> Reading {
        Reading {
            failure: answer.failure,
            upstream_error: answer.upstream_error,
            solved_at: match answer.solved_at {
                SolvedAt::Absent => None,
                SolvedAt::Unix(at) => Some(Some(at)),
                SolvedAt::Unreadable => Some(None),
            },
        }
    }

    /// Interpret one validate answer with `status` and `body`.
    pub fn read_validate_answer(status: u16, body: &[u8], token: &str) -> Reading {
        reading(provider::interpret_validate(
            &Exchange::answered(status, body),
            token,
        ))
    }

    /// Interpret one siteverify answer of `provider` (`recaptcha`,
    /// `hcaptcha` or `turnstile`).
    pub fn read_siteverify_answer(
        provider: crate::ProviderKind,
        status: u16,
        body: &[u8],
        token: &str,
    ) -> Reading {
        reading(provider::interpret_siteverify(
            provider,
            &Exchange::answered(status, body),
            token,
        ))
    }

    /// Interpret one issue answer; `Ok(server token)` or the failure code.
    pub fn read_issue_answer(status: u16, body: &[u8]) -> Result<String, OutcomeCode> {
        provider::interpret_issue(&Exchange::answered(status, body))
            .map(|t| t.server_token)
            .map_err(|f| f.code)
    }

    /// The local verdict on a raw token: `None` when usable, else the code;
    /// with the fingerprint when one was made.
    pub fn inspect_token(raw: Option<&str>, secret: &str) -> (Option<OutcomeCode>, Option<String>) {
        match token::inspect(raw, secret) {
            Inspection::Missing => (Some(OutcomeCode::MissingToken), None),
            Inspection::Oversized(_) => (Some(OutcomeCode::MalformedToken), None),
            Inspection::Refused(t, code) => (Some(code), Some(t.fingerprint)),
            Inspection::Usable(t) => (None, Some(t.fingerprint)),
        }
    }
}
