//! The emulator's siteverify endpoints: reCAPTCHA
//! (`/recaptcha/api/siteverify`), hCaptcha (`/siteverify`) and Turnstile
//! (`/turnstile/v0/siteverify`). Form-encoded or JSON requests; the secret,
//! site key and remote IP checked; each provider's test keys and dummy
//! tokens reproduced; tokens consumed on first success; Turnstile's
//! idempotency key honoured.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use passgate_core::ProviderKind;
use serde_json::{json, Map, Value};

use super::behaviour::{Behaviour, Reply};
use super::{http, State};

pub const HCAPTCHA_TEST_TOKENS: [&str; 3] = [
    "10000000-aaaa-bbbb-cccc-000000000001",
    "20000000-aaaa-bbbb-cccc-000000000002",
    "30000000-aaaa-bbbb-cccc-000000000003",
];
pub const HCAPTCHA_TEST_SITE_KEYS: [&str; 3] = [
    "10000000-ffff-ffff-ffff-000000000001",
    "20000000-ffff-ffff-ffff-000000000002",
    "30000000-ffff-ffff-ffff-000000000003",
];
pub const TURNSTILE_DUMMY_TOKEN: &str = "XXXX.DUMMY.TOKEN.XXXX";

/// The siteverify path → provider.
pub fn provider_for_path(path: &str) -> Option<ProviderKind> {
    ProviderKind::SITEVERIFY
        .into_iter()
        .find(|p| p.verify_path() == path)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Unix milliseconds as `2022-02-28T15:14:30.096Z` (or without the
/// fraction).
fn iso8601(ms: i64, with_millis: bool) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = http::civil_from_days(days);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let fraction = if with_millis {
        format!(".{:03}", ms.rem_euclid(1000))
    } else {
        String::new()
    };
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{fraction}Z")
}

/// The request's fields, from a form or a JSON object of strings.
fn fields(request: &http::Request) -> Result<HashMap<String, String>, ()> {
    let json = request
        .header("content-type")
        .is_some_and(|t| t.trim().starts_with("application/json"));
    if !json {
        return Ok(url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect());
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&request.body) else {
        return Err(());
    };
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            _ => Err(()),
        })
        .collect()
}

fn failure(codes: &[&str]) -> Reply {
    Reply::Json(200, json!({ "success": false, "error-codes": codes }))
}

/// Faults, raw bodies and statuses from a script; `None` to go on.
fn scripted_transport(script: &Behaviour) -> Option<Reply> {
    if let Some(fault) = script.fault {
        return Some(Reply::Fault(fault));
    }
    let status = script.http_status.unwrap_or(200);
    if let (Some(location), 300..=399) = (&script.location, status) {
        return Some(Reply::Redirect(
            status,
            location.clone(),
            json!({ "success": true, "hostname": "localhost" }),
        ));
    }
    if let Some(body) = &script.body {
        return Some(Reply::Raw(status, body.clone().into_bytes()));
    }
    if let Some(size) = script.body_bytes {
        return Some(Reply::Raw(status, vec![b'x'; size]));
    }
    (status != 200).then(|| Reply::Raw(status, super::reason_phrase(status).as_bytes().to_vec()))
}

/// A success answer shaped by the script.
fn success(provider: ProviderKind, script: &Behaviour, default_host: &str) -> Value {
    let mut answer = Map::new();
    answer.insert("success".into(), true.into());
    if !script.no_solved_at {
        let ts = script.challenge_ts.clone().unwrap_or_else(|| {
            iso8601(
                now_ms() + script.solved_at_offset_s * 1000,
                provider == ProviderKind::Turnstile,
            )
        });
        answer.insert("challenge_ts".into(), ts.into());
    }
    if !script.no_hostname {
        let host = script.hostname.as_deref().unwrap_or(default_host);
        answer.insert("hostname".into(), host.into());
    }
    if let Some(action) = &script.action {
        answer.insert("action".into(), action.as_str().into());
    }
    if let Some(cdata) = &script.cdata {
        answer.insert("cdata".into(), cdata.as_str().into());
    }
    if let Some(score) = script.score {
        answer.insert("score".into(), score.into());
    }
    match provider {
        ProviderKind::Turnstile => {
            answer.insert("error-codes".into(), json!([]));
            answer.insert("metadata".into(), json!({ "interactive": false }));
        }
        ProviderKind::Hcaptcha => {
            answer.insert("credit".into(), false.into());
        }
        _ => {}
    }
    Value::Object(answer)
}

/// The duplicate-token code each provider answers.
fn duplicate_code(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Hcaptcha => "already-seen-response",
        _ => "timeout-or-duplicate",
    }
}

pub(super) async fn siteverify(
    state: &State,
    request: &http::Request,
    provider: ProviderKind,
) -> Reply {
    state
        .counters
        .siteverify_calls
        .fetch_add(1, Ordering::SeqCst);
    let Ok(fields) = fields(request) else {
        return failure(&["bad-request"]);
    };
    state.record_siteverify(provider, request.header("content-type"), &fields);
    let token = fields.get("response").cloned().unwrap_or_default();
    let script = state.take_script(&token);
    if script.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(script.delay_ms)).await;
    }
    if let Some(reply) = scripted_transport(&script) {
        return reply;
    }
    let secret = fields.get("secret").map(String::as_str).unwrap_or("");
    if secret.is_empty() {
        return failure(&["missing-input-secret"]);
    }
    if let Some(ip) = fields.get("remoteip") {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return failure(&["invalid-remoteip"]);
        }
    }
    if token.trim().is_empty() {
        return failure(&["missing-input-response"]);
    }
    let is_test_secret = provider.test_secrets().contains(&secret);
    if !is_test_secret && secret != state.secret_key {
        return failure(&["invalid-input-secret"]);
    }
    if let (ProviderKind::Hcaptcha, Some(site_key)) = (provider, fields.get("sitekey")) {
        let test_site_key = HCAPTCHA_TEST_SITE_KEYS.contains(&site_key.as_str());
        if !(site_key == &state.site_key || is_test_secret && test_site_key) {
            return failure(&["sitekey-secret-mismatch"]);
        }
    }
    if let Some(reply) = test_keys(provider, secret, &token, is_test_secret) {
        return reply;
    }
    if script.error.is_some() || script.error_codes.is_some() || script.success == Some(false) {
        let codes: Vec<&str> = script
            .error
            .iter()
            .chain(script.error_codes.iter().flatten())
            .map(String::as_str)
            .collect();
        return if codes.is_empty() {
            Reply::Json(200, json!({ "success": false }))
        } else {
            failure(&codes)
        };
    }
    let idempotency_key = fields.get("idempotency_key").cloned();
    let mut tokens = state.tokens();
    if let Some((first_key, answer)) = tokens.siteverify_answers.get(&token) {
        let same_key = provider == ProviderKind::Turnstile
            && idempotency_key.is_some()
            && idempotency_key.as_ref() == first_key.as_ref();
        return if same_key {
            Reply::Json(200, answer.clone())
        } else {
            failure(&[duplicate_code(provider)])
        };
    }
    let answer = success(provider, &script, "localhost");
    tokens
        .siteverify_answers
        .insert(token, (idempotency_key, answer.clone()));
    if script.lose_answer {
        return Reply::Fault(super::Fault::ResetMidBody);
    }
    Reply::Json(200, answer)
}

/// Each provider's published test secrets and dummy tokens (PROVIDERS.md).
fn test_keys(
    provider: ProviderKind,
    secret: &str,
    token: &str,
    is_test_secret: bool,
) -> Option<Reply> {
    let plain = Behaviour::default();
    match provider {
        ProviderKind::Recaptcha if is_test_secret => Some(Reply::Json(
            200,
            success(provider, &plain, "testkey.google.com"),
        )),
        ProviderKind::Hcaptcha => {
            let dummy = HCAPTCHA_TEST_TOKENS.contains(&token);
            match (is_test_secret, dummy) {
                (true, true) => Some(Reply::Json(
                    200,
                    success(provider, &plain, "dummy-key-pass"),
                )),
                (true, false) => Some(failure(&["invalid-input-response"])),
                (false, true) => Some(failure(&["not-using-dummy-secret"])),
                (false, false) => None,
            }
        }
        ProviderKind::Turnstile => {
            let dummy = token == TURNSTILE_DUMMY_TOKEN;
            match (is_test_secret, secret.as_bytes().first(), dummy) {
                (true, Some(b'1'), true) => {
                    Some(Reply::Json(200, success(provider, &plain, "example.com")))
                }
                (true, Some(b'3'), true) => Some(failure(&["timeout-or-duplicate"])),
                (true, _, _) | (false, _, true) => Some(failure(&["invalid-input-response"])),
                (false, _, false) => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_back() {
        for ms in [0, 951_782_400_000, 1_646_061_270_096, 4_102_444_800_999] {
            let text = iso8601(ms, true);
            assert_eq!(passgate_core::parse_timestamp(&text), Some(ms), "{text}");
        }
        assert_eq!(iso8601(1_566_475_802_000, false), "2019-08-22T12:10:02Z");
    }
}
