//! How the emulator answers one token: the default (a fresh, valid token that
//! is consumed on first use, like the real service) or a script.

use serde_json::{json, Map, Value};

/// A scripted answer for one token (or `issue:<action>`). Every field is
/// optional; see `conformance/README.md` for the JSON form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Behaviour {
    pub delay_ms: u64,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    /// Where the error string goes: `data` (default), `msg`, `envelope`.
    pub error_in: ErrorPlace,
    pub degraded: bool,
    pub reason: Option<String>,
    pub body: Option<String>,
    pub body_bytes: Option<usize>,
    pub fault: Option<Fault>,
    pub action: Option<String>,
    pub uid: Option<String>,
    pub challenge_id: Option<String>,
    pub risk_score: Option<i64>,
    /// `solved_at = now + offset` (seconds; negative is in the past).
    pub solved_at_offset_s: i64,
    /// Leave `solved_at` out of the answer.
    pub no_solved_at: bool,
    /// `data.ok` instead of `data.valid` (older servers).
    pub legacy_ok: bool,
    /// `user_ip`/`risk_score`/`solved_at` directly in `data`.
    pub flat: bool,
    /// A valid envelope with no `data`.
    pub no_data: bool,
    /// Apply this script to the first N calls only, then answer by default.
    pub times: Option<u64>,
    /// With a 3xx `http_status`: the `Location` header. The body is then a
    /// valid answer (unless `body` says otherwise), which a client that
    /// follows no redirect must still refuse.
    pub location: Option<String>,
    /// siteverify: the `success` flag (default true unless `error` or
    /// `error_codes` is given).
    pub success: Option<bool>,
    /// siteverify: several `error-codes` (`error` gives one).
    pub error_codes: Option<Vec<String>>,
    /// siteverify: the answer's `score`.
    pub score: Option<f64>,
    /// siteverify: the answer's `hostname` (default `localhost`).
    pub hostname: Option<String>,
    /// siteverify: leave `hostname` out.
    pub no_hostname: bool,
    /// siteverify: Turnstile's `cdata`.
    pub cdata: Option<String>,
    /// siteverify: this raw `challenge_ts` instead of now + offset.
    pub challenge_ts: Option<String>,
    /// siteverify: consume the token and remember the answer, then reset
    /// the connection before the answer is out (a retry with the same
    /// idempotency key gets the answer).
    pub lose_answer: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorPlace {
    #[default]
    Data,
    Msg,
    Envelope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Read the request, never answer.
    Silence,
    /// Send headers and part of the body, then reset the connection.
    ResetMidBody,
    /// Close the connection without answering.
    Close,
}

fn string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{key}: expected a string, got {other}")),
    }
}

fn uint(map: &Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key}: expected a whole number")),
    }
}

fn flag(map: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{key}: expected true or false")),
    }
}

const KNOWN_KEYS: [&str; 28] = [
    "delay_ms",
    "http_status",
    "error",
    "error_in",
    "degraded",
    "reason",
    "body",
    "body_bytes",
    "fault",
    "action",
    "uid",
    "challenge_id",
    "risk_score",
    "solved_at_offset_s",
    "no_solved_at",
    "legacy_ok",
    "flat",
    "no_data",
    "times",
    "location",
    "success",
    "error_codes",
    "score",
    "hostname",
    "no_hostname",
    "cdata",
    "challenge_ts",
    "lose_answer",
];

impl Behaviour {
    pub fn from_json(value: &Value) -> Result<Behaviour, String> {
        let map = value.as_object().ok_or("a script must be a JSON object")?;
        if let Some(unknown) = map
            .keys()
            .find(|k| !KNOWN_KEYS.contains(&k.as_str()) && *k != "token")
        {
            return Err(format!("unknown script key {unknown:?}"));
        }
        let error_in = match string(map, "error_in")?.as_deref() {
            None | Some("data") => ErrorPlace::Data,
            Some("msg") => ErrorPlace::Msg,
            Some("envelope") => ErrorPlace::Envelope,
            Some(other) => return Err(format!("error_in: unknown place {other:?}")),
        };
        let fault = match string(map, "fault")?.as_deref() {
            None => None,
            Some("silence") => Some(Fault::Silence),
            Some("reset_mid_body") => Some(Fault::ResetMidBody),
            Some("close") => Some(Fault::Close),
            Some(other) => return Err(format!("fault: unknown fault {other:?}")),
        };
        let http_status = match uint(map, "http_status")? {
            None => None,
            Some(s @ 100..=599) => Some(s as u16),
            Some(_) => return Err("http_status: must be 100..=599".into()),
        };
        Ok(Behaviour {
            delay_ms: uint(map, "delay_ms")?.unwrap_or(0),
            http_status,
            error: string(map, "error")?,
            error_in,
            degraded: flag(map, "degraded")?,
            reason: string(map, "reason")?,
            body: string(map, "body")?,
            body_bytes: uint(map, "body_bytes")?.map(|n| n as usize),
            fault,
            action: string(map, "action")?,
            uid: string(map, "uid")?,
            challenge_id: string(map, "challenge_id")?,
            risk_score: map.get("risk_score").and_then(Value::as_i64),
            solved_at_offset_s: map
                .get("solved_at_offset_s")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            no_solved_at: flag(map, "no_solved_at")?,
            legacy_ok: flag(map, "legacy_ok")?,
            flat: flag(map, "flat")?,
            no_data: flag(map, "no_data")?,
            times: uint(map, "times")?,
            location: string(map, "location")?,
            success: match map.get("success") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(_) => return Err("success: expected true or false".into()),
            },
            error_codes: match map.get("error_codes") {
                None | Some(Value::Null) => None,
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or("error_codes: expected a list of strings")?,
                ),
                Some(_) => return Err("error_codes: expected a list of strings".into()),
            },
            score: match map.get("score") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_f64().ok_or("score: expected a number")?),
            },
            hostname: string(map, "hostname")?,
            no_hostname: flag(map, "no_hostname")?,
            cdata: string(map, "cdata")?,
            challenge_ts: string(map, "challenge_ts")?,
            lose_answer: flag(map, "lose_answer")?,
        })
    }
}

/// What to put on the wire for one answer.
pub enum Reply {
    Json(u16, Value),
    /// A 3xx with a `Location` header and a JSON body.
    Redirect(u16, String, Value),
    Raw(u16, Vec<u8>),
    /// A page or script of the stand-in widget, with its content type.
    Asset(u16, &'static str, Vec<u8>),
    Fault(Fault),
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

pub fn reason_phrase(status: u16) -> &'static str {
    status_text(status)
}

pub fn envelope_error(code: i64, error: &str) -> Value {
    json!({ "code": code, "msg": error, "data": null })
}

/// Everything but a valid answer: faults, raw bodies, statuses, errors.
/// `None` means "answer valid".
pub fn scripted_failure(script: &Behaviour) -> Option<Reply> {
    if let Some(fault) = script.fault {
        return Some(Reply::Fault(fault));
    }
    let status = script.http_status.unwrap_or(200);
    if let (Some(location), 300..=399) = (&script.location, status) {
        let body = match &script.body {
            Some(body) => serde_json::from_str(body).unwrap_or(Value::String(body.clone())),
            None => json!({ "code": 0, "msg": "ok", "data": { "valid": true } }),
        };
        return Some(Reply::Redirect(status, location.clone(), body));
    }
    if let Some(body) = &script.body {
        return Some(Reply::Raw(status, body.clone().into_bytes()));
    }
    if let Some(size) = script.body_bytes {
        return Some(Reply::Raw(status, vec![b'x'; size]));
    }
    if status != 200 {
        return Some(Reply::Raw(status, status_text(status).as_bytes().to_vec()));
    }
    if script.no_data {
        return Some(Reply::Json(200, json!({ "code": 0, "msg": "ok" })));
    }
    if script.degraded {
        let reason = script
            .reason
            .clone()
            .unwrap_or_else(|| "quota_exhausted".into());
        return Some(Reply::Json(
            200,
            json!({ "code": 0, "msg": "ok", "data": { "valid": false, "degraded": true, "reason": reason } }),
        ));
    }
    let error = script.error.as_deref()?;
    let body = match script.error_in {
        ErrorPlace::Data => {
            json!({ "code": 0, "msg": "ok", "data": { "valid": false, "error": error } })
        }
        ErrorPlace::Msg => json!({ "code": 0, "msg": error, "data": { "valid": false } }),
        ErrorPlace::Envelope => envelope_error(40000, error),
    };
    Some(Reply::Json(200, body))
}

/// The valid answer, shaped by the script.
pub fn valid_answer(
    script: &Behaviour,
    challenge_id: String,
    client_ip: Option<&str>,
    now_s: i64,
) -> Value {
    let solved_at = (!script.no_solved_at).then_some(now_s + script.solved_at_offset_s);
    let user_ip = client_ip.unwrap_or("127.0.0.1");
    let risk_score = script.risk_score.unwrap_or(10);
    let flag = if script.legacy_ok { "ok" } else { "valid" };
    let mut data = json!({
        flag: true,
        "challenge_id": script.challenge_id.clone().unwrap_or(challenge_id),
        "action": script.action,
        "uid": script.uid,
    });
    if script.flat {
        data["user_ip"] = user_ip.into();
        data["risk_score"] = risk_score.into();
        if let Some(solved_at) = solved_at {
            data["solved_at"] = solved_at.into();
        }
    } else {
        data["captcha_args"] = json!({
            "platform": "web",
            "user_ip": user_ip,
            "referer": "http://localhost/",
            "pkg": null,
            "solved_at": solved_at,
            "risk_score": risk_score,
        });
    }
    json!({ "code": 0, "msg": "ok", "data": data })
}
