//! CaptchaLa (DESIGN §2): the validate and issue calls, and their answers
//! read strictly — the envelope, the payloads and the error strings.
//! Anything that does not read cleanly fails closed.

use serde_json::{json, Map, Value};

use super::{
    answer, machine_code, IssueFuture, Provider, SolvedAt, ValidateAnswer, Verification,
    VerifyFuture, VerifyRequest,
};
use crate::config::Config;
use crate::error::Error;
use crate::http::{self, Exchange, Post};
use crate::outcome::{CaptchaArgs, OutcomeCode};
use crate::runtime::{self, ClientKey};
use crate::strict_json::{self, ParseError};
use crate::token::TokenType;
use crate::verifier::IssueRequest;

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
        risk: args.risk_score.map(|r| r as f64),
        captcha_args: has_args.then_some(args),
        solved_at,
        ..ValidateAnswer::default()
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
        let unsupported = self
            .upstream_error
            .as_deref()
            .and_then(|e| e.strip_prefix("not_supported_by_"));
        if let Some(provider) = unsupported {
            return write!(
                f,
                "issue_server_token is not supported by provider {provider} (server tokens are CaptchaLa's)"
            );
        }
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

/// The CaptchaLa provider: where to call and with which keys.
pub(crate) struct CaptchaLa {
    api_base: String,
    backup_api_base: String,
    app_key: String,
    app_secret: String,
    client_key: ClientKey,
}

impl CaptchaLa {
    pub fn new(config: &Config) -> CaptchaLa {
        CaptchaLa {
            api_base: config.api_base.clone(),
            backup_api_base: config.backup_api_base.clone(),
            app_key: config.app_key.clone(),
            app_secret: config.secret.clone(),
            client_key: ClientKey {
                extra_ca_pem: config.extra_ca_pem.clone(),
                connect_timeout: config.timeout,
            },
        }
    }

    /// A call: JSON, with the app key and secret as headers.
    fn post<'a>(&'a self, url: &'a str, body: &Value) -> Post<'a> {
        Post {
            url,
            headers: vec![
                ("X-App-Key", self.app_key.as_str()),
                ("X-App-Secret", self.app_secret.as_str()),
            ],
            content_type: "application/json",
            payload: body.to_string(),
        }
    }

    async fn verify_now(&self, request: VerifyRequest<'_>) -> Verification {
        let token = request.token;
        // `offline_` tokens come from the provider's bypass worker: the
        // backup API knows them.
        let url = if token.token_type == TokenType::Offline {
            format!("{}/api/validate", self.backup_api_base)
        } else {
            format!("{}/v1/validate", self.api_base)
        };
        let mut body = json!({ "pass_token": token.text, "keep_token": request.keep_token });
        if let Some(ip) = request.client_ip {
            body["client_ip"] = ip.into();
        }
        let Ok(client) = runtime::client(&self.client_key) else {
            return Verification::not_called(OutcomeCode::UpstreamUnavailable);
        };
        let exchange = http::post(&client, self.post(&url, &body), request.timeout).await;
        Verification {
            upstream_called: true,
            status: exchange.status,
            latency: Some(exchange.latency),
            attempts: exchange.attempts,
            answer: interpret_validate(&exchange, token.text),
        }
    }

    async fn issue_now(
        &self,
        request: IssueRequest,
        timeout: std::time::Duration,
    ) -> Result<ServerToken, Error> {
        let mut body = json!({ "action": request.action });
        if let Some(ip) = request.binding_ip.filter(|ip| !ip.is_empty()) {
            body["binding_ip"] = ip.into();
        }
        if let Some(ttl) = request.ttl {
            body["ttl"] = ttl.into();
        }
        if let Some(max_uses) = request.max_uses {
            body["max_uses"] = max_uses.into();
        }
        if let Some(uid) = request.bind_uid.filter(|uid| !uid.is_empty()) {
            body["bind_uid"] = uid.into();
        }
        let url = format!("{}/v1/server/challenge/issue", self.api_base);
        let client = runtime::client(&self.client_key).map_err(Error::Internal)?;
        let exchange = http::post(&client, self.post(&url, &body), timeout).await;
        Ok(interpret_issue(&exchange)?)
    }
}

impl Provider for CaptchaLa {
    fn name(&self) -> &'static str {
        "captchala"
    }

    fn verify<'a>(&'a self, request: VerifyRequest<'a>) -> VerifyFuture<'a> {
        Box::pin(self.verify_now(request))
    }

    fn issue_server_token<'a>(
        &'a self,
        request: IssueRequest,
        timeout: std::time::Duration,
    ) -> IssueFuture<'a> {
        Box::pin(self.issue_now(request, timeout))
    }
}

#[cfg(test)]
#[path = "captchala_tests.rs"]
mod tests;
