//! The provider seam: everything that differs between CAPTCHA services —
//! where to call, how to ask, how to read the answer — behind one trait, as
//! the replay stores are behind `ReplayStore`. The decision in
//! `crate::validate` (claim → ask → expiry/action/uid checks → policy → log
//! record) is the same for every provider. Shared HTTP: `crate::http`.

mod captchala;
mod siteverify;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub(crate) use captchala::CaptchaLa;
pub use captchala::{code_for_upstream_error, IssueFailure, ServerToken};
pub(crate) use captchala::{interpret_issue, interpret_validate};
pub use siteverify::{canonical_ip, code_for_siteverify_error, parse_timestamp};
pub(crate) use siteverify::{interpret_siteverify, Siteverify};

use crate::error::Error;
use crate::outcome::{CaptchaArgs, OutcomeCode};
use crate::token::{InspectedToken, TokenRules};
use crate::verifier::IssueRequest;

/// `upstream_error` codes for answers that arrived but could not be used.
pub mod answer {
    /// The body is not JSON (or a non-2xx status came with no envelope: then
    /// `http_<status>` is used instead).
    pub const NOT_JSON: &str = "not_json";
    /// The same key appears twice in one object of the answer.
    pub const DUPLICATE_KEY: &str = "duplicate_key";
    /// JSON, but not the shape the protocol promises (no envelope, no
    /// `data`, `valid` that is not a boolean, `valid` and `ok` disagreeing).
    pub const BAD_ANSWER: &str = "bad_answer";
    /// `solved_at` is present but is not a time.
    pub const BAD_SOLVED_AT: &str = "bad_solved_at";
    /// `solved_at` is more than `clock_skew_s` in the future.
    pub const CLOCK_SKEW: &str = "clock_skew";
    /// The upstream's error string is not a short machine code (or repeats
    /// the token): it is not copied.
    pub const UNRECOGNIZED: &str = "unrecognized";

    /// An expected uid was given to a provider that cannot bind one.
    pub const UID_NOT_SUPPORTED: &str = "uid_not_supported";

    pub const ALL: [&str; 6] = [
        NOT_JSON,
        DUPLICATE_KEY,
        BAD_ANSWER,
        BAD_SOLVED_AT,
        CLOCK_SKEW,
        UNRECOGNIZED,
    ];
}

/// Longest upstream error string copied into `upstream_error`.
pub const MAX_UPSTREAM_ERROR_LEN: usize = 64;

/// The upstream's error string as it may be logged: trimmed and lower-cased,
/// and only when it is a short machine code (`[a-z0-9_.-]`, at most 64
/// characters) that does not contain the token; else `unrecognized`. An
/// upstream that echoes the token or sends newlines cannot reach the log.
pub fn machine_code(raw: &str, token: Option<&str>) -> String {
    let code = raw.trim().to_ascii_lowercase();
    let well_formed = !code.is_empty()
        && code.len() <= MAX_UPSTREAM_ERROR_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    let echoes_token = token
        .map(|t| t.trim().to_ascii_lowercase())
        .is_some_and(|t| !t.is_empty() && code.contains(&t));
    if well_formed && !echoes_token {
        code
    } else {
        answer::UNRECOGNIZED.to_string()
    }
}

/// `solved_at` as the answer gave it (a provider's `challenge_ts` reads into
/// the same).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SolvedAt {
    #[default]
    Absent,
    /// Unix seconds, or milliseconds above 10^11 (some servers send them).
    Unix(i64),
    /// Present but not a time (`"yesterday"`, `true`): fail closed.
    Unreadable,
}

/// The validate answer, interpreted.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ValidateAnswer {
    /// `Some(code)` when the answer alone decides a failure.
    pub failure: Option<OutcomeCode>,
    /// A machine code (see `machine_code`), never the upstream's raw text.
    pub upstream_error: Option<String>,
    pub degraded: bool,
    pub challenge_id: Option<String>,
    pub action: Option<String>,
    pub uid: Option<String>,
    pub risk_score: Option<i64>,
    pub captcha_args: Option<CaptchaArgs>,
    pub solved_at: SolvedAt,
    /// The page's host name, from providers that report one.
    pub hostname: Option<String>,
    /// Turnstile's customer data, as the page set it.
    pub cdata: Option<String>,
    /// The provider's score as sent (meaning differs per provider).
    pub score: Option<f64>,
    /// A score where 1.0 means human (reCAPTCHA), for `min_score`.
    pub humanity: Option<f64>,
    /// A score where higher means riskier (hCaptcha Enterprise, CaptchaLa),
    /// for `max_risk_score`.
    pub risk: Option<f64>,
}

/// One validation as a provider sees it.
pub(crate) struct VerifyRequest<'a> {
    pub token: &'a InspectedToken<'a>,
    /// Trimmed and non-empty, or `None`.
    pub client_ip: Option<&'a str>,
    pub keep_token: bool,
    pub timeout: Duration,
}

/// What one provider call learned.
#[derive(Debug, Default)]
pub(crate) struct Verification {
    pub upstream_called: bool,
    pub status: Option<u16>,
    pub latency: Option<Duration>,
    pub attempts: u32,
    pub answer: ValidateAnswer,
}

impl Verification {
    /// Nothing was sent (the HTTP client could not be built).
    pub fn not_called(code: OutcomeCode) -> Verification {
        Verification {
            answer: ValidateAnswer {
                failure: Some(code),
                ..ValidateAnswer::default()
            },
            ..Verification::default()
        }
    }
}

pub(crate) type VerifyFuture<'a> = Pin<Box<dyn Future<Output = Verification> + Send + 'a>>;
pub(crate) type IssueFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ServerToken, Error>> + Send + 'a>>;

pub(crate) trait Provider: Send + Sync {
    /// `captchala`, …: the log record's `provider`.
    fn name(&self) -> &'static str;

    /// Ask the provider about one token, within `request.timeout`.
    fn verify<'a>(&'a self, request: VerifyRequest<'a>) -> VerifyFuture<'a>;

    /// How this provider's tokens look.
    fn token_rules(&self) -> TokenRules {
        TokenRules::CAPTCHALA
    }

    /// Whether the answer's action is the one expected.
    fn action_matches(&self, expected: &str, answered: &str) -> bool {
        expected == answered
    }

    /// Whether tokens can be bound to a uid (else an expected uid is a
    /// configuration error, never a silent pass).
    fn binds_uid(&self) -> bool {
        true
    }

    /// Issue a server token; only some providers have them (the others
    /// fail with `not_supported_by_<provider>`).
    fn issue_server_token<'a>(
        &'a self,
        _request: IssueRequest,
        _timeout: Duration,
    ) -> IssueFuture<'a> {
        let unsupported = IssueFailure {
            code: OutcomeCode::Misconfigured,
            upstream_error: Some(format!("not_supported_by_{}", self.name())),
            upstream_status: None,
        };
        Box::pin(async move { Err(unsupported.into()) })
    }
}
