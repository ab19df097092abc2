//! The HTTP exchange with CaptchaLa (DESIGN §2, §7): one POST with a total
//! deadline, one retry only when the request surely never left, the answer
//! capped at 64 KiB, and the envelope parsed into what the decision needs.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::outcome::{CaptchaArgs, OutcomeCode};

/// Larger answers are treated as a broken upstream.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What came back over HTTP, before interpretation.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// HTTP status, or `None` when no response arrived.
    pub status: Option<u16>,
    /// The body, or `None` when it could not be read in full (transport
    /// failure, timeout, over the cap).
    pub body: Option<Vec<u8>>,
    pub attempts: u32,
    pub latency: Duration,
}

enum Attempt {
    Response(u16, Option<Vec<u8>>),
    ConnectFailed,
    Failed,
}

async fn read_capped(mut response: reqwest::Response) -> Option<Vec<u8>> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return None;
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return None;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Some(body),
            Err(_) => return None,
        }
    }
}

async fn attempt(request: reqwest::RequestBuilder) -> Attempt {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = read_capped(response).await;
            // The pool takes the connection back in a task of its own; let it
            // run first so that the next call finds the connection idle.
            tokio::task::yield_now().await;
            Attempt::Response(status, body)
        }
        Err(e) if e.is_connect() => Attempt::ConnectFailed,
        Err(_) => Attempt::Failed,
    }
}

/// POST `body` as JSON to `url`, within `timeout` overall.
pub(crate) async fn post_json(
    client: &reqwest::Client,
    url: &str,
    app_key: &str,
    app_secret: &str,
    body: &Value,
    timeout: Duration,
) -> Exchange {
    let started = Instant::now();
    let deadline = started + timeout;
    let payload = body.to_string();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let request = client
            .post(url)
            .header("X-App-Key", app_key)
            .header("X-App-Secret", app_secret)
            .header("Content-Type", "application/json")
            .body(payload.clone());
        let remaining = deadline.saturating_duration_since(Instant::now());
        let result = tokio::time::timeout(remaining, attempt(request)).await;
        let (status, body) = match result {
            Ok(Attempt::Response(status, body)) => (Some(status), body),
            // Retry once, only when the request surely never reached the
            // upstream and time is left.
            Ok(Attempt::ConnectFailed) if attempts < 2 && Instant::now() < deadline => continue,
            Ok(Attempt::ConnectFailed | Attempt::Failed) | Err(_) => (None, None),
        };
        return Exchange {
            status,
            body,
            attempts,
            latency: started.elapsed(),
        };
    }
}

/// The validate answer, interpreted.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ValidateAnswer {
    /// `Some(code)` when the answer alone decides a failure.
    pub failure: Option<OutcomeCode>,
    pub upstream_error: Option<String>,
    pub degraded: bool,
    pub challenge_id: Option<String>,
    pub action: Option<String>,
    pub uid: Option<String>,
    pub risk_score: Option<i64>,
    pub captcha_args: Option<CaptchaArgs>,
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

/// The envelope `{"code": int, "msg": str, "data": {...}}`.
struct Envelope {
    code: i64,
    msg: Option<String>,
    data: Option<Map<String, Value>>,
}

fn envelope(body: &[u8]) -> Option<Envelope> {
    let Value::Object(mut root) = serde_json::from_slice::<Value>(body).ok()? else {
        return None;
    };
    let code = root.get("code")?.as_i64()?;
    let msg = text(root.get("msg"));
    let data = match root.remove("data") {
        Some(Value::Object(data)) => Some(data),
        _ => None,
    };
    Some(Envelope { code, msg, data })
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

/// What every endpoint's answer has in common. A deciding HTTP status, a
/// missing envelope or `code != 0` ends as `Err((code, upstream error))`;
/// otherwise the `data` object (if any) and the error string (if any).
struct Opened {
    data: Option<Map<String, Value>>,
    error: Option<String>,
}

fn open(exchange: &Exchange) -> Result<Opened, (OutcomeCode, Option<String>)> {
    let status_code = code_for_status(exchange.status);
    let Some(Envelope { code, msg, data }) = exchange.body.as_deref().and_then(envelope) else {
        // No envelope: a deciding status, else a broken upstream.
        return Err((
            status_code.unwrap_or(OutcomeCode::UpstreamUnavailable),
            None,
        ));
    };
    let error = data
        .as_ref()
        .and_then(|d| text(d.get("error")))
        .or_else(|| msg.filter(|m| !is_success_msg(m)));
    if let Some(status_code) = status_code {
        return Err((status_code, error));
    }
    if code != 0 {
        let code = error
            .as_deref()
            .map_or(OutcomeCode::Rejected, code_for_upstream_error);
        return Err((code, error));
    }
    Ok(Opened { data, error })
}

pub(crate) fn interpret_validate(exchange: &Exchange) -> ValidateAnswer {
    let Opened { data, error } = match open(exchange) {
        Ok(opened) => opened,
        Err((code, error)) => return failed(code, error),
    };
    let Some(data) = data else {
        return failed(OutcomeCode::UpstreamUnavailable, None);
    };
    let valid = data
        .get("valid")
        .and_then(Value::as_bool)
        .or_else(|| data.get("ok").and_then(Value::as_bool));
    match valid {
        None => failed(OutcomeCode::UpstreamUnavailable, error),
        Some(false) => {
            if data.get("degraded").and_then(Value::as_bool) == Some(true) {
                let reason = error.or_else(|| text(data.get("reason")));
                return ValidateAnswer {
                    failure: Some(OutcomeCode::Degraded),
                    degraded: true,
                    upstream_error: reason,
                    ..ValidateAnswer::default()
                };
            }
            let code = error
                .as_deref()
                .map_or(OutcomeCode::Rejected, code_for_upstream_error);
            failed(code, error)
        }
        Some(true) => valid_answer(&data),
    }
}

fn valid_answer(data: &Map<String, Value>) -> ValidateAnswer {
    let nested = data.get("captcha_args").and_then(Value::as_object);
    let field = |name: &str| {
        nested
            .and_then(|args| args.get(name))
            .or_else(|| data.get(name))
    };
    let args = CaptchaArgs {
        platform: text(field("platform")),
        user_ip: text(field("user_ip")).or_else(|| text(data.get("client_ip"))),
        referer: text(field("referer")),
        pkg: text(field("pkg")),
        solved_at: integer(field("solved_at")),
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
    }
}

/// A server token from the issue endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerToken {
    pub server_token: String,
    pub expires_in: Option<i64>,
    pub issued_at: Option<i64>,
}

/// Why issuing failed: an outcome-like code plus the upstream's own string.
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
    let Opened { data, error } = open(exchange).map_err(|(code, error)| fail(code, error))?;
    let data = data.ok_or_else(|| fail(OutcomeCode::UpstreamUnavailable, None))?;
    let server_token = text(data.get("server_token"))
        .ok_or_else(|| fail(OutcomeCode::UpstreamUnavailable, error.clone()))?;
    Ok(ServerToken {
        server_token,
        expires_in: integer(data.get("expires_in")),
        issued_at: integer(data.get("issued_at")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> ValidateAnswer {
        interpret_validate(&Exchange {
            status: Some(status),
            body: Some(body.as_bytes().to_vec()),
            attempts: 1,
            latency: Duration::ZERO,
        })
    }

    #[test]
    fn valid_nested_and_flat() {
        let a = answer(
            200,
            r#"{"code":0,"msg":"ok","data":{"valid":true,"challenge_id":"c1","action":"login","uid":null,
               "captcha_args":{"platform":"web","user_ip":"1.2.3.4","solved_at":1700000000,"risk_score":12}}}"#,
        );
        assert_eq!(a.failure, None);
        assert_eq!(a.challenge_id.as_deref(), Some("c1"));
        assert_eq!(a.action.as_deref(), Some("login"));
        assert_eq!(a.uid, None);
        assert_eq!(a.risk_score, Some(12));
        let args = a.captcha_args.expect("args");
        assert_eq!(args.solved_at, Some(1_700_000_000));
        assert_eq!(args.user_ip.as_deref(), Some("1.2.3.4"));

        let flat = answer(
            200,
            r#"{"code":0,"data":{"ok":true,"client_ip":"5.6.7.8","risk_score":40}}"#,
        );
        assert_eq!(flat.failure, None);
        assert_eq!(flat.risk_score, Some(40));
        assert_eq!(
            flat.captcha_args.expect("args").user_ip.as_deref(),
            Some("5.6.7.8")
        );
    }

    #[test]
    fn failures() {
        let a = answer(
            200,
            r#"{"code":0,"msg":"ok","data":{"valid":false,"error":"token_expired"}}"#,
        );
        assert_eq!(a.failure, Some(OutcomeCode::Expired));
        assert_eq!(a.upstream_error.as_deref(), Some("token_expired"));
        let a = answer(
            200,
            r#"{"code":0,"msg":"token_consumed","data":{"valid":false}}"#,
        );
        assert_eq!(a.failure, Some(OutcomeCode::Replayed));
        let a = answer(
            200,
            r#"{"code":40001,"msg":"invalid_app_secret","data":null}"#,
        );
        assert_eq!(a.failure, Some(OutcomeCode::Misconfigured));
        let a = answer(
            200,
            r#"{"code":0,"data":{"valid":false,"error":"brand_new_error"}}"#,
        );
        assert_eq!(a.failure, Some(OutcomeCode::Rejected));
        let a = answer(
            200,
            r#"{"code":0,"data":{"valid":false,"degraded":true,"reason":"quota"}}"#,
        );
        assert_eq!(a.failure, Some(OutcomeCode::Degraded));
        assert_eq!(a.upstream_error.as_deref(), Some("quota"));
        assert_eq!(
            answer(200, "<html>").failure,
            Some(OutcomeCode::UpstreamUnavailable)
        );
        assert_eq!(
            answer(200, r#"{"code":0}"#).failure,
            Some(OutcomeCode::UpstreamUnavailable)
        );
        assert_eq!(
            answer(200, r#"{"code":0,"data":{}}"#).failure,
            Some(OutcomeCode::UpstreamUnavailable)
        );
        assert_eq!(
            answer(502, "bad gateway").failure,
            Some(OutcomeCode::UpstreamUnavailable)
        );
        assert_eq!(answer(429, "").failure, Some(OutcomeCode::RateLimited));
        assert_eq!(answer(401, "").failure, Some(OutcomeCode::Misconfigured));
        assert_eq!(
            answer(404, "").failure,
            Some(OutcomeCode::UpstreamUnavailable)
        );
    }

    #[test]
    fn every_listed_upstream_error_maps() {
        let table = [
            ("invalid_token", OutcomeCode::Rejected),
            ("empty_token", OutcomeCode::MissingToken),
            ("token_consumed", OutcomeCode::Replayed),
            ("token_expired", OutcomeCode::Expired),
            ("token_action_mismatch", OutcomeCode::ActionMismatch),
            ("token_ip_mismatch", OutcomeCode::IpMismatch),
            ("token_uid_mismatch", OutcomeCode::UidMismatch),
            ("rate_limit_exceeded", OutcomeCode::RateLimited),
            ("invalid_action", OutcomeCode::Rejected),
            ("invalid_app_key", OutcomeCode::Misconfigured),
            ("invalid_app_secret", OutcomeCode::Misconfigured),
            ("app_disabled", OutcomeCode::Misconfigured),
            ("unknown_error", OutcomeCode::Rejected),
        ];
        for (error, code) in table {
            assert_eq!(code_for_upstream_error(error), code, "{error}");
        }
    }
}
