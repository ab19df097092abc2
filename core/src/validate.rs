//! The decision: local shape checks, replay claim, upstream call (or test
//! mode), local expiry/action/uid checks, policy, and the log record.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::Mode;
use crate::log::LogFields;
use crate::outcome::{Outcome, OutcomeCode};
use crate::provider::{answer, SolvedAt, ValidateAnswer, VerifyRequest};
use crate::token::{self, InspectedToken, Inspection, TokenType};
use crate::verifier::{Inner, ValidateRequest};

pub(crate) fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What one validation learned, collected as it goes.
struct Trace {
    started: Instant,
    token_type: Option<TokenType>,
    fingerprint: Option<String>,
    upstream_called: bool,
    upstream_status: Option<u16>,
    upstream_latency: Option<Duration>,
    attempts: u32,
    policy: Option<&'static str>,
    answer: ValidateAnswer,
    token_age_ms: Option<i64>,
}

/// How old a token is now, from the upstream's `solved_at` (unix seconds;
/// some servers send milliseconds). Negative when solved "in the future".
pub fn token_age_ms(solved_at: i64) -> i64 {
    let solved_at_ms = if solved_at > 100_000_000_000 {
        solved_at
    } else {
        solved_at.saturating_mul(1000)
    };
    unix_now_ms().saturating_sub(solved_at_ms)
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_ref()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn finish(inner: &Inner, request: &ValidateRequest, trace: Trace, code: OutcomeCode) -> Outcome {
    let answer = trace.answer;
    let total = trace.started.elapsed();
    if inner.counted {
        crate::metrics::record(crate::metrics::Validation {
            provider: inner.provider.name(),
            code,
            total,
            attempts: if trace.upstream_called {
                trace.attempts
            } else {
                0
            },
            upstream: trace.upstream_latency,
        });
    }
    let log_fields = LogFields {
        event: "passgate.validate",
        outcome: code.as_str(),
        ok: code.ok(),
        category: code.category().as_str(),
        provider: inner.provider.name(),
        environment: inner.config.environment.clone(),
        action: non_empty(&request.action),
        token_present: trace.token_type.is_some(),
        token_type: trace.token_type.map(TokenType::as_str),
        token_fingerprint: trace.fingerprint,
        token_age_ms: trace.token_age_ms,
        client_ip: non_empty(&request.client_ip),
        upstream_called: trace.upstream_called,
        upstream_status: trace.upstream_status,
        upstream_error: answer.upstream_error.clone(),
        upstream_latency_ms: trace.upstream_latency.map(|d| d.as_secs_f64() * 1000.0),
        latency_ms: total.as_secs_f64() * 1000.0,
        attempts: trace.attempts,
        replay_store: inner.store.label(),
        replay_evictions: inner.store.evictions(),
        challenge_id: answer.challenge_id.clone(),
        risk_score: answer.risk_score,
        hostname: answer.hostname.clone(),
        score: answer.score,
        policy: if code.ok() { trace.policy } else { None },
    };
    Outcome {
        code,
        provider: inner.provider.name(),
        upstream_error: answer.upstream_error,
        token_type: trace.token_type,
        token_age_ms: trace.token_age_ms,
        challenge_id: answer.challenge_id,
        action: answer.action,
        uid: answer.uid,
        risk_score: answer.risk_score,
        captcha_args: answer.captcha_args,
        hostname: answer.hostname,
        score: answer.score,
        cdata: answer.cdata,
        log_fields,
    }
}

pub(crate) async fn run(inner: &Inner, request: ValidateRequest) -> Outcome {
    let mut trace = Trace {
        started: Instant::now(),
        token_type: None,
        fingerprint: None,
        upstream_called: false,
        upstream_status: None,
        upstream_latency: None,
        attempts: 0,
        policy: None,
        answer: ValidateAnswer::default(),
        token_age_ms: None,
    };
    let token = match token::inspect_with(
        request.token.as_deref(),
        &inner.config.secret,
        inner.provider.token_rules(),
    ) {
        Inspection::Missing => return finish(inner, &request, trace, OutcomeCode::MissingToken),
        Inspection::Oversized(token_type) => {
            trace.token_type = Some(token_type);
            return finish(inner, &request, trace, OutcomeCode::MalformedToken);
        }
        Inspection::Refused(token, code) => {
            trace.token_type = Some(token.token_type);
            trace.fingerprint = Some(token.fingerprint);
            return finish(inner, &request, trace, code);
        }
        Inspection::Usable(token) => token,
    };
    trace.token_type = Some(token.token_type);
    trace.fingerprint = Some(token.fingerprint.clone());
    let code = decide(inner, &request, &token, &mut trace).await;
    finish(inner, &request, trace, code)
}

async fn decide(
    inner: &Inner,
    request: &ValidateRequest,
    token: &InspectedToken<'_>,
    trace: &mut Trace,
) -> OutcomeCode {
    let config = &inner.config;
    if token.token_type.is_client_only() && !config.policy.allow_client_only {
        return OutcomeCode::Unverifiable;
    }
    if non_empty(&request.uid).is_some() && !inner.provider.binds_uid() {
        // Decided before the claim: the token stays usable once the caller
        // stops asking for a uid.
        trace.answer.upstream_error = Some(answer::UID_NOT_SUPPORTED.into());
        return OutcomeCode::Misconfigured;
    }

    // Replay guard: claim before anything else can happen.
    let mut claimed = None;
    if !request.keep_token {
        match inner
            .store
            .claim(&token.fingerprint, config.claim_ttl())
            .await
        {
            Ok(Some(claim)) => claimed = Some(claim),
            Ok(None) => return OutcomeCode::Replayed,
            Err(_) if config.policy.fail_open_on_store_error => {
                crate::metrics::record_store_error(inner.store.label());
                trace.policy = Some("fail_open_on_store_error");
            }
            Err(_) => {
                crate::metrics::record_store_error(inner.store.label());
                return OutcomeCode::StoreUnavailable;
            }
        }
    }

    let code = if token.token_type.is_client_only() {
        trace.policy = Some("allow_client_only");
        OutcomeCode::Passed
    } else if config.mode == Mode::Test {
        test_mode_code(token.text)
    } else {
        ask_upstream(inner, request, token, trace).await
    };

    if let Some(claim) = claimed.filter(|_| code.releases_claim()) {
        // Best effort: if the store fails now, the claim expires by TTL.
        if inner
            .store
            .release(&token.fingerprint, claim)
            .await
            .is_err()
        {
            crate::metrics::record_store_error(inner.store.label());
        }
    }
    code
}

/// `pt_test_<code>` → that code; anything else → `rejected`.
fn test_mode_code(token: &str) -> OutcomeCode {
    let name = token.strip_prefix("pt_test_").unwrap_or("");
    if name == "internal_error" {
        // Lets an app's own tests exercise its handling of InternalError.
        panic!("deliberate panic requested by a test-mode token");
    }
    OutcomeCode::parse(name).unwrap_or(OutcomeCode::Rejected)
}

async fn ask_upstream(
    inner: &Inner,
    request: &ValidateRequest,
    token: &InspectedToken<'_>,
    trace: &mut Trace,
) -> OutcomeCode {
    let config = &inner.config;
    let client_ip = non_empty(&request.client_ip);
    let verification = inner
        .provider
        .verify(VerifyRequest {
            token,
            client_ip: client_ip.as_deref(),
            keep_token: request.keep_token,
            timeout: config.timeout,
        })
        .await;
    trace.upstream_called = verification.upstream_called;
    trace.upstream_status = verification.status;
    trace.upstream_latency = verification.latency;
    trace.attempts = verification.attempts;
    trace.answer = verification.answer;

    match trace.answer.failure {
        Some(OutcomeCode::Degraded) if config.policy.allow_degraded => {
            trace.policy = Some("allow_degraded");
            return OutcomeCode::Passed;
        }
        Some(code) => return code,
        None => {}
    }
    match trace.answer.solved_at {
        SolvedAt::Absent => {}
        SolvedAt::Unreadable => {
            trace.answer.upstream_error = Some(answer::BAD_SOLVED_AT.into());
            return OutcomeCode::Rejected;
        }
        SolvedAt::Unix(solved_at) => {
            let age = token_age_ms(solved_at);
            trace.token_age_ms = Some(age);
            if config.is_from_the_future(age) {
                trace.answer.upstream_error = Some(answer::CLOCK_SKEW.into());
                return OutcomeCode::Misconfigured;
            }
            if config.is_expired(age) {
                return OutcomeCode::Expired;
            }
        }
    }
    let checks = &config.checks;
    if !checks.expected_hostnames.is_empty() {
        let hostname = trace
            .answer
            .hostname
            .as_deref()
            .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase());
        if !hostname.is_some_and(|h| checks.expected_hostnames.contains(&h)) {
            return OutcomeCode::HostnameMismatch;
        }
    }
    if let Some(expected) = non_empty(&request.action) {
        let matches = trace
            .answer
            .action
            .as_deref()
            .is_some_and(|answered| inner.provider.action_matches(&expected, answered));
        if !matches {
            return OutcomeCode::ActionMismatch;
        }
    }
    let human_enough = |score: f64| checks.min_score.map_or(true, |min| score >= min);
    if trace.answer.humanity.is_some_and(|s| !human_enough(s))
        || trace
            .answer
            .risk
            .is_some_and(|risk| checks.max_risk_score.is_some_and(|max| risk > max))
    {
        return OutcomeCode::ScoreTooLow;
    }
    if let Some(expected) = non_empty(&request.uid) {
        if trace.answer.uid.as_deref() != Some(expected.as_str()) {
            return OutcomeCode::UidMismatch;
        }
    }
    OutcomeCode::Passed
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
