//! The siteverify providers — Google reCAPTCHA, hCaptcha and Cloudflare
//! Turnstile (facts and sources: PROVIDERS.md): one form-encoded POST, one
//! JSON answer read strictly, one error-code table for all three.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::{
    answer, machine_code, Provider, SolvedAt, ValidateAnswer, Verification, VerifyFuture,
    VerifyRequest,
};
use crate::config::{Config, ProviderKind};
use crate::http::{self, transport, Exchange, Post};
use crate::outcome::OutcomeCode;
use crate::runtime::{self, ClientKey};
use crate::strict_json::{self, ParseError};
use crate::token::{TokenRules, TokenType};

/// reCAPTCHA's, hCaptcha's and Turnstile's published test secrets: every
/// token passes (or, for Turnstile's `2x`/`3x`, every token fails).
pub const RECAPTCHA_TEST_SECRETS: [&str; 1] = ["6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe"];
pub const HCAPTCHA_TEST_SECRETS: [&str; 1] = ["0x0000000000000000000000000000000000000000"];
pub const TURNSTILE_TEST_SECRETS: [&str; 3] = [
    "1x0000000000000000000000000000000AA",
    "2x0000000000000000000000000000000AA",
    "3x0000000000000000000000000000000AA",
];

impl ProviderKind {
    /// Scheme and host of the official API.
    pub fn default_api_base(self) -> &'static str {
        match self {
            ProviderKind::CaptchaLa => crate::config::DEFAULT_API_BASE,
            ProviderKind::Recaptcha => "https://www.google.com",
            ProviderKind::Hcaptcha => "https://api.hcaptcha.com",
            ProviderKind::Turnstile => "https://challenges.cloudflare.com",
        }
    }

    /// The path appended to `api_base` for a validation.
    pub fn verify_path(self) -> &'static str {
        match self {
            ProviderKind::CaptchaLa => "/v1/validate",
            ProviderKind::Recaptcha => "/recaptcha/api/siteverify",
            ProviderKind::Hcaptcha => "/siteverify",
            ProviderKind::Turnstile => "/turnstile/v0/siteverify",
        }
    }

    /// How long the provider says a token stays valid: the default of
    /// `max_token_age_s`.
    pub fn token_validity_s(self) -> u64 {
        match self {
            ProviderKind::CaptchaLa | ProviderKind::Turnstile => 300,
            ProviderKind::Recaptcha | ProviderKind::Hcaptcha => 120,
        }
    }

    /// Secrets that let every token through: refused in production.
    pub fn test_secrets(self) -> &'static [&'static str] {
        match self {
            ProviderKind::CaptchaLa => &[],
            ProviderKind::Recaptcha => &RECAPTCHA_TEST_SECRETS,
            ProviderKind::Hcaptcha => &HCAPTCHA_TEST_SECRETS,
            ProviderKind::Turnstile => &TURNSTILE_TEST_SECRETS,
        }
    }

    /// The form field the provider's widget posts the token in; framework
    /// helpers read it by default.
    pub fn form_field(self) -> &'static str {
        match self {
            ProviderKind::CaptchaLa => "captchala_token",
            ProviderKind::Recaptcha => "g-recaptcha-response",
            ProviderKind::Hcaptcha => "h-captcha-response",
            ProviderKind::Turnstile => "cf-turnstile-response",
        }
    }

    /// Longest token sent upstream. Turnstile documents 2048 characters;
    /// reCAPTCHA and hCaptcha document none, so their limit is generous.
    pub fn max_token_bytes(self) -> usize {
        match self {
            ProviderKind::CaptchaLa => crate::token::MAX_TOKEN_BYTES,
            ProviderKind::Turnstile => 2048,
            ProviderKind::Recaptcha | ProviderKind::Hcaptcha => 8192,
        }
    }
}

/// The outcome a siteverify `error-codes` entry stands for; `None` for a
/// code this table does not know (the answer is then `rejected`).
pub fn code_for_siteverify_error(code: &str) -> Option<OutcomeCode> {
    Some(match code.trim().to_ascii_lowercase().as_str() {
        "missing-input-response" => OutcomeCode::MissingToken,
        "invalid-input-response" | "invalid-or-already-seen-response" => OutcomeCode::Rejected,
        "timeout-or-duplicate" | "expired-input-response" => OutcomeCode::Expired,
        "already-seen-response" => OutcomeCode::Replayed,
        "missing-input-secret"
        | "invalid-input-secret"
        | "sitekey-secret-mismatch"
        | "not-using-dummy-passcode"
        | "not-using-dummy-secret"
        | "invalid-sitekey"
        | "bad-request"
        | "missing-remoteip"
        | "invalid-remoteip" => OutcomeCode::Misconfigured,
        "internal-error" => OutcomeCode::UpstreamUnavailable,
        _ => return None,
    })
}

/// The IP as the provider should see it: `::ffff:a.b.c.d` as `a.b.c.d`;
/// `None` for text that is not an IP address.
pub fn canonical_ip(text: &str) -> Option<String> {
    let ip: IpAddr = text.trim().parse().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    })
}

/// `challenge_ts` (`2022-02-28T15:14:30.096Z`, `2019-08-22T12:10:02Z`,
/// `…+02:00`, `…-0800`) as unix milliseconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = number(date_parts.next()?, 4)?;
    let month: i64 = number(date_parts.next()?, 2)?;
    let day: i64 = number(date_parts.next()?, 2)?;
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = number(clock_parts.next()?, 2)?;
    let minute: i64 = number(clock_parts.next()?, 2)?;
    let second: i64 = number(clock_parts.next()?, 2)?;
    let millis = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{f:0<3}")[..3].parse::<i64>().ok()?
        }
        Some(_) => return None,
    };
    let offset_s = match zone {
        "Z" | "z" => 0,
        "" => return None,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 {
                return None;
            }
            let hours: i64 = number(&digits[..2], 2)?;
            let minutes: i64 = number(&digits[2..], 2)?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(seconds * 1000 + millis)
}

/// Exactly `width` ASCII digits.
fn number(text: &str, width: usize) -> Option<i64> {
    (text.len() == width && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn failed(code: OutcomeCode, upstream_error: Option<String>) -> ValidateAnswer {
    ValidateAnswer {
        failure: Some(code),
        upstream_error,
        ..ValidateAnswer::default()
    }
}

fn bad_answer() -> ValidateAnswer {
    failed(
        OutcomeCode::UpstreamUnavailable,
        Some(answer::BAD_ANSWER.into()),
    )
}

/// A string field: absent/null → `Ok(None)`, another type → `Err`.
fn string_field(root: &Map<String, Value>, key: &str) -> Result<Option<String>, ()> {
    match root.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

/// Read one siteverify answer. Fails closed: anything that does not read
/// cleanly is `upstream_unavailable` with a machine code, never a pass.
pub(crate) fn interpret_siteverify(
    kind: ProviderKind,
    exchange: &Exchange,
    token: &str,
) -> ValidateAnswer {
    let status = exchange.status;
    let body = match &exchange.body {
        Ok(body) => body,
        Err(transport_code) => {
            let code = match status {
                Some(429) => OutcomeCode::RateLimited,
                _ => OutcomeCode::UpstreamUnavailable,
            };
            return failed(code, Some((*transport_code).to_string()));
        }
    };
    let http_code = |s: u16| Some(format!("http_{s}"));
    match status {
        Some(429) => return failed(OutcomeCode::RateLimited, http_code(429)),
        Some(s @ (401 | 403)) => return failed(OutcomeCode::Misconfigured, http_code(s)),
        Some(s) if s >= 500 => return failed(OutcomeCode::UpstreamUnavailable, http_code(s)),
        _ => {}
    }
    let non_2xx = status.filter(|s| !(200..300).contains(s));
    let unusable = |code: &str| {
        failed(
            OutcomeCode::UpstreamUnavailable,
            Some(non_2xx.map_or_else(|| code.to_string(), |s| format!("http_{s}"))),
        )
    };
    let root = match strict_json::parse(body) {
        Ok(Value::Object(root)) => root,
        Ok(_) => return unusable(answer::BAD_ANSWER),
        Err(ParseError::NotJson) => return unusable(answer::NOT_JSON),
        Err(ParseError::DuplicateKey) => {
            return failed(
                OutcomeCode::UpstreamUnavailable,
                Some(answer::DUPLICATE_KEY.into()),
            )
        }
    };
    let Some(success) = root.get("success").and_then(Value::as_bool) else {
        return unusable(answer::BAD_ANSWER);
    };
    let error_codes: Vec<&str> = match root.get("error-codes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let codes: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            match codes {
                Some(codes) => codes,
                None => return unusable(answer::BAD_ANSWER),
            }
        }
        Some(_) => return unusable(answer::BAD_ANSWER),
    };
    if !success || non_2xx.is_some() {
        // The first code the table knows decides; else `rejected` with the
        // first code as sent.
        let known = error_codes
            .iter()
            .find_map(|c| code_for_siteverify_error(c).map(|outcome| (outcome, *c)));
        return match (known, non_2xx) {
            (Some((outcome, code)), _) => failed(outcome, Some(machine_code(code, Some(token)))),
            (None, Some(s)) if success => failed(OutcomeCode::UpstreamUnavailable, http_code(s)),
            (None, _) => failed(
                OutcomeCode::Rejected,
                error_codes.first().map(|c| machine_code(c, Some(token))),
            ),
        };
    }
    if !error_codes.is_empty() {
        // "success" next to error codes is no clean answer.
        return bad_answer();
    }
    let (Ok(hostname), Ok(action), Ok(cdata), Ok(challenge_ts)) = (
        string_field(&root, "hostname"),
        string_field(&root, "action"),
        string_field(&root, "cdata"),
        string_field(&root, "challenge_ts"),
    ) else {
        return bad_answer();
    };
    let score = match root.get("score") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => return bad_answer(),
    };
    let solved_at = match challenge_ts {
        None => SolvedAt::Absent,
        Some(text) => parse_timestamp(&text).map_or(SolvedAt::Unreadable, SolvedAt::Unix),
    };
    ValidateAnswer {
        hostname,
        action,
        cdata,
        score,
        humanity: score.filter(|_| kind == ProviderKind::Recaptcha),
        risk: score.filter(|_| kind == ProviderKind::Hcaptcha),
        solved_at,
        ..ValidateAnswer::default()
    }
}

/// A fresh UUID (version 4 layout) for Turnstile's `idempotency_key`: unique
/// per validation, not secret.
fn idempotency_key() -> String {
    let high = crate::replay::Claim::unique().0;
    let low = crate::replay::Claim::unique().0;
    let bytes = ((u128::from(high) << 64) | u128::from(low)).to_be_bytes();
    let mut bytes = bytes;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A siteverify provider: where to call, with which secret.
pub(crate) struct Siteverify {
    kind: ProviderKind,
    url: String,
    secret: String,
    site_key: Option<String>,
    client_key: ClientKey,
}

impl Siteverify {
    pub fn new(config: &Config) -> Siteverify {
        let path = config.provider.verify_path();
        // A base that already ends with the provider's path is taken as is.
        let url = if config.api_base.ends_with(path) {
            config.api_base.clone()
        } else {
            format!("{}{path}", config.api_base)
        };
        Siteverify {
            kind: config.provider,
            url,
            secret: config.secret.clone(),
            site_key: config.site_key.clone(),
            client_key: ClientKey {
                extra_ca_pem: config.extra_ca_pem.clone(),
                connect_timeout: config.timeout,
            },
        }
    }

    fn form(&self, token: &str, client_ip: Option<&str>, idempotency_key: Option<&str>) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("secret", &self.secret);
        form.append_pair("response", token);
        if let Some(ip) = client_ip.and_then(canonical_ip) {
            form.append_pair("remoteip", &ip);
        }
        if let (ProviderKind::Hcaptcha, Some(site_key)) = (self.kind, &self.site_key) {
            form.append_pair("sitekey", site_key);
        }
        if let Some(key) = idempotency_key {
            form.append_pair("idempotency_key", key);
        }
        form.finish()
    }

    /// Worth asking again with the same idempotency key (Turnstile only).
    fn is_transient(exchange: &Exchange, answer: &ValidateAnswer) -> bool {
        let transport_failure = matches!(
            exchange.body,
            Err(transport::TIMEOUT | transport::CONNECTION_RESET)
        );
        transport_failure
            || exchange.status.is_some_and(|s| s >= 500)
            || answer.upstream_error.as_deref() == Some("internal-error")
    }

    async fn verify_now(&self, request: VerifyRequest<'_>) -> Verification {
        let Ok(client) = runtime::client(&self.client_key) else {
            return Verification::not_called(OutcomeCode::UpstreamUnavailable);
        };
        let token = request.token.text;
        let key = (self.kind == ProviderKind::Turnstile).then(idempotency_key);
        let payload = self.form(token, request.client_ip, key.as_deref());
        let started = Instant::now();
        let deadline = started + request.timeout;
        let mut attempts = 0;
        loop {
            // Turnstile's first attempt gets half the deadline, so that a
            // timed-out attempt leaves time for the retry the provider
            // documents; every other call gets what is left.
            let remaining = deadline.saturating_duration_since(Instant::now());
            let budget = if key.is_some() && attempts == 0 {
                request.timeout / 2
            } else {
                remaining
            };
            let post = Post {
                url: &self.url,
                headers: Vec::new(),
                content_type: "application/x-www-form-urlencoded",
                payload: payload.clone(),
            };
            let exchange = http::post(&client, post, budget).await;
            attempts += exchange.attempts;
            let answer = interpret_siteverify(self.kind, &exchange, token);
            // Turnstile documents retrying with the same idempotency key;
            // the others may have spent the token on a call that failed.
            let again = key.is_some()
                && attempts < 2
                && Self::is_transient(&exchange, &answer)
                && deadline.saturating_duration_since(Instant::now()) > Duration::from_millis(1);
            if !again {
                return Verification {
                    upstream_called: true,
                    status: exchange.status,
                    latency: Some(started.elapsed()),
                    attempts,
                    answer,
                };
            }
        }
    }
}

impl Provider for Siteverify {
    fn name(&self) -> &'static str {
        self.kind.as_str()
    }

    fn verify<'a>(&'a self, request: VerifyRequest<'a>) -> VerifyFuture<'a> {
        Box::pin(self.verify_now(request))
    }

    fn token_rules(&self) -> TokenRules {
        TokenRules {
            classify: TokenType::opaque,
            max_bytes: self.kind.max_token_bytes(),
        }
    }

    fn action_matches(&self, expected: &str, answered: &str) -> bool {
        // reCAPTCHA action names are not case-sensitive.
        if self.kind == ProviderKind::Recaptcha {
            expected.eq_ignore_ascii_case(answered)
        } else {
            expected == answered
        }
    }

    fn binds_uid(&self) -> bool {
        false
    }
}

#[cfg(test)]
#[path = "siteverify_tests.rs"]
mod tests;
