//! Core results as plain JSON values for JavaScript (camelCase keys; the log
//! record keeps its snake_case keys: it is data for log pipelines).

use passgate_core::{Outcome, ServerToken};
use serde_json::{json, Value};

pub(crate) fn outcome_json(outcome: &Outcome) -> Value {
    json!({
        "ok": outcome.ok(),
        "code": outcome.code.as_str(),
        "category": outcome.category().as_str(),
        "retryable": outcome.retryable(),
        "httpStatus": outcome.http_status(),
        "message": outcome.message(),
        "upstreamError": outcome.upstream_error,
        "tokenType": outcome.token_type.map(|t| t.as_str()),
        "tokenAgeMs": outcome.token_age_ms,
        "challengeId": outcome.challenge_id,
        "action": outcome.action,
        "uid": outcome.uid,
        "riskScore": outcome.risk_score,
        "captchaArgs": outcome.captcha_args.as_ref().map(|a| json!({
            "platform": a.platform,
            "userIp": a.user_ip,
            "referer": a.referer,
            "pkg": a.pkg,
            "solvedAt": a.solved_at,
            "riskScore": a.risk_score,
        })),
        "logFields": outcome.log_fields.to_json(),
        "logMessage": outcome.log_fields.summary(),
    })
}

pub(crate) fn server_token_json(token: &ServerToken) -> Value {
    json!({
        "serverToken": token.server_token,
        "expiresIn": token.expires_in,
        "issuedAt": token.issued_at,
    })
}
