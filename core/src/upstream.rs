//! CaptchaLa's answers (DESIGN §2), read strictly: the envelope, the
//! validate and issue payloads, and the error strings. Anything that does not
//! read cleanly fails closed. The HTTP exchange itself is `crate::http`.

use serde_json::{Map, Value};

use crate::http::Exchange;
use crate::outcome::{CaptchaArgs, OutcomeCode};
use crate::strict_json::{self, ParseError};

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

/// `solved_at` as the answer gave it.
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
}

/// Map an upstream error string; unknown strings fail closed.
pub fn code_for_upstream_error(error: &str) -> OutcomeCode {
    match error.trim().to_ascii_lowercase().as_str() {
        "empty_token" => OutcomeCode::MissingToken,
        "token_consumed" => OutcomeCode::Replayed,
        "token_expired" => OutcomeCode::Expired,
        "token_action_mismatch" => OutcomeCode::ActionMismatch,
        "token_ip_mismatch" => OutcomeCode::IpMismatch,
        "token_uid_mismatch" => OutcomeCode::UidMismatch,
        "rate_limit_exceeded" => OutcomeCode::RateLimited,
        "invalid_app_key" | "invalid_app_secret" | "app_disabled" => OutcomeCode::Misconfigured,
        // invalid_token, invalid_action, unknown_error and anything new.
        _ => OutcomeCode::Rejected,
    }
}

/// Status codes that decide by themselves, whatever the body says.
fn code_for_status(status: Option<u16>) -> Option<OutcomeCode> {
    match status {
        None => Some(OutcomeCode::UpstreamUnavailable),
        Some(429) => Some(OutcomeCode::RateLimited),
        Some(401 | 403) => Some(OutcomeCode::Misconfigured),
        Some(300..=399) => Some(OutcomeCode::UpstreamUnavailable),
        Some(s) if s >= 500 => Some(OutcomeCode::UpstreamUnavailable),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f.round() as i64),
        _ => None,
    }
}

/// A number, or a string of decimal digits (some servers quote numbers).
/// Floats are truncated; out-of-range values saturate, so `1e300` is far in
/// the future rather than unreadable.
fn solved_at(value: Option<&Value>) -> SolvedAt {
    match value {
        None | Some(Value::Null) => SolvedAt::Absent,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => SolvedAt::Unix(i),
            None => n
                .as_f64()
                .map_or(SolvedAt::Unreadable, |f| SolvedAt::Unix(f as i64)),
        },
        Some(Value::String(s)) => {
            let digits = s.trim();
            match digits.parse::<i64>() {
                Ok(i) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                    SolvedAt::Unix(i)
                }
                _ => SolvedAt::Unreadable,
            }
        }
        Some(_) => SolvedAt::Unreadable,
    }
}

fn failed(code: OutcomeCode, upstream_error: Option<String>) -> ValidateAnswer {
    ValidateAnswer {
        failure: Some(code),
        upstream_error,
        ..ValidateAnswer::default()
    }
}

/// Messages that some servers put in `msg` on success; not error strings.
fn is_success_msg(msg: &str) -> bool {
    matches!(
        msg.trim().to_ascii_lowercase().as_str(),
        "" | "ok" | "success"
    )
}

/// What every endpoint's answer has in common, once opened: the `data`
/// object (if any) and the upstream's raw error string (if any).
struct Opened {
    data: Option<Map<String, Value>>,
    raw_error: Option<String>,
}

/// A failure decided before `data` is looked at: the code and the
/// `upstream_error` machine code.
type Refusal = (OutcomeCode, Option<String>);

/// Open the envelope `{"code": int, "msg": str, "data": {...}}`. A deciding
/// HTTP status, a transport failure, an unreadable body or `code != 0` ends
/// here.
fn open(exchange: &Exchange, token: Option<&str>) -> Result<Opened, Refusal> {
    let status_code = code_for_status(exchange.status);
    let non_2xx = exchange.status.filter(|s| !(200..300).contains(s));
    // Without a usable envelope, a non-2xx status names the failure best.
    let unreadable = |code: &'static str| {
        (
            status_code.unwrap_or(OutcomeCode::UpstreamUnavailable),
            Some(non_2xx.map_or_else(|| code.to_string(), |s| format!("http_{s}"))),
        )
    };
    let body = match &exchange.body {
        Ok(body) => body,
        Err(transport_code) => {
            return Err((
                status_code.unwrap_or(OutcomeCode::UpstreamUnavailable),
                Some((*transport_code).to_string()),
            ))
        }
    };
    let mut root = match strict_json::parse(body) {
        Ok(Value::Object(root)) => root,
        Ok(_) => return Err(unreadable(answer::BAD_ANSWER)),
        Err(ParseError::NotJson) => return Err(unreadable(answer::NOT_JSON)),
        Err(ParseError::DuplicateKey) => {
            return Err((
                status_code.unwrap_or(OutcomeCode::UpstreamUnavailable),
                Some(answer::DUPLICATE_KEY.into()),
            ))
        }
    };
    let Some(code) = root.get("code").and_then(Value::as_i64) else {
        return Err(unreadable(answer::BAD_ANSWER));
    };
    let data = match root.remove("data") {
        Some(Value::Object(data)) => Some(data),
        _ => None,
    };
    let raw_error = data
        .as_ref()
        .and_then(|d| text(d.get("error")))
        .or_else(|| text(root.get("msg")).filter(|m| !is_success_msg(m)));
    let logged = |raw: &Option<String>| raw.as_deref().map(|e| machine_code(e, token));
    if let Some(status_code) = status_code {
        let error = logged(&raw_error).or_else(|| non_2xx.map(|s| format!("http_{s}")));
        return Err((status_code, error));
    }
    if code != 0 {
        let outcome = raw_error
            .as_deref()
            .map_or(OutcomeCode::Rejected, code_for_upstream_error);
        return Err((outcome, logged(&raw_error)));
    }
    Ok(Opened { data, raw_error })
}

/// `data.valid` (or, from older servers, `data.ok`) as a JSON boolean. A
/// flag of another type, or the two disagreeing, is not an answer.
fn validity(data: &Map<String, Value>) -> Result<bool, ()> {
    let flag = |key: &str| match data.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(()),
    };
    match (flag("valid")?, flag("ok")?) {
        (Some(valid), Some(ok)) if valid != ok => Err(()),
        (Some(valid), _) | (None, Some(valid)) => Ok(valid),
        (None, None) => Err(()),
    }
}

pub(crate) fn interpret_validate(exchange: &Exchange, token: &str) -> ValidateAnswer {
    let Opened { data, raw_error } = match open(exchange, Some(token)) {
        Ok(opened) => opened,
        Err((code, error)) => return failed(code, error),
    };
    let Some(data) = data else {
        return failed(
            OutcomeCode::UpstreamUnavailable,
            Some(answer::BAD_ANSWER.into()),
        );
    };
    let Ok(valid) = validity(&data) else {
        return failed(
            OutcomeCode::UpstreamUnavailable,
            Some(answer::BAD_ANSWER.into()),
        );
    };
    if valid {
        return valid_answer(&data);
    }
    if data.get("degraded") == Some(&Value::Bool(true)) {
        let reason = raw_error.or_else(|| text(data.get("reason")));
        return ValidateAnswer {
            failure: Some(OutcomeCode::Degraded),
            degraded: true,
            upstream_error: reason.map(|r| machine_code(&r, Some(token))),
            ..ValidateAnswer::default()
        };
    }
    let code = raw_error
        .as_deref()
        .map_or(OutcomeCode::Rejected, code_for_upstream_error);
    failed(code, raw_error.map(|e| machine_code(&e, Some(token))))
}

fn valid_answer(data: &Map<String, Value>) -> ValidateAnswer {
    let nested = data.get("captcha_args").and_then(Value::as_object);
    let field = |name: &str| {
        nested
            .and_then(|args| args.get(name))
            .or_else(|| data.get(name))
    };
    let solved_at = solved_at(field("solved_at"));
    let args = CaptchaArgs {
        platform: text(field("platform")),
        user_ip: text(field("user_ip")).or_else(|| text(data.get("client_ip"))),
        referer: text(field("referer")),
        pkg: text(field("pkg")),
        solved_at: match solved_at {
            SolvedAt::Unix(at) => Some(at),
            _ => None,
        },
        risk_score: integer(field("risk_score")),
    };
    let has_args = nested.is_some() || args != CaptchaArgs::default();
    ValidateAnswer {
        failure: None,
        upstream_error: None,
        degraded: false,
        challenge_id: text(data.get("challenge_id")),
        action: text(data.get("action")),
        uid: text(data.get("uid")),
        risk_score: args.risk_score,
        captcha_args: has_args.then_some(args),
        solved_at,
    }
}

/// A server token from the issue endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerToken {
    pub server_token: String,
    pub expires_in: Option<i64>,
    pub issued_at: Option<i64>,
}

/// Why issuing failed: an outcome-like code plus the upstream's error as a
/// machine code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueFailure {
    pub code: OutcomeCode,
    pub upstream_error: Option<String>,
    pub upstream_status: Option<u16>,
}

impl std::fmt::Display for IssueFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "issue_server_token failed: {}", self.code)?;
        if let Some(error) = &self.upstream_error {
            write!(f, " ({error})")?;
        }
        Ok(())
    }
}

impl std::error::Error for IssueFailure {}

pub(crate) fn interpret_issue(exchange: &Exchange) -> Result<ServerToken, IssueFailure> {
    let fail = |code, upstream_error| IssueFailure {
        code,
        upstream_error,
        upstream_status: exchange.status,
    };
    let Opened { data, raw_error } =
        open(exchange, None).map_err(|(code, error)| fail(code, error))?;
    let bad_answer = || {
        fail(
            OutcomeCode::UpstreamUnavailable,
            Some(answer::BAD_ANSWER.into()),
        )
    };
    let data = data.ok_or_else(bad_answer)?;
    let server_token = text(data.get("server_token")).ok_or_else(|| match &raw_error {
        Some(raw) => fail(
            OutcomeCode::UpstreamUnavailable,
            Some(machine_code(raw, None)),
        ),
        None => bad_answer(),
    })?;
    Ok(ServerToken {
        server_token,
        expires_in: integer(data.get("expires_in")),
        issued_at: integer(data.get("issued_at")),
    })
}

#[cfg(test)]
#[path = "upstream_tests.rs"]
mod tests;
