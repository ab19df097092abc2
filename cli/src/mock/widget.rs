//! The emulator's page half: a stand-in loader per provider
//! (`GET /__mock/loader/<provider>.js`, the `script_url` tests point the
//! widget at), the framed challenge it shows (`GET /__mock/challenge`), the
//! token a solved challenge gets (`POST /__mock/solve`), and switches for
//! browser tests (`POST /__mock/widget`: `loader_missing` serves the loader
//! as 404, `token_age_s` backdates the tokens solved from then on).

use std::sync::atomic::Ordering;

use passgate_core::ProviderKind;
use serde_json::{json, Value};

use super::behaviour::{Behaviour, Reply};
use super::{http, State};

const LOADER_JS: &str = include_str!("assets/loader.js");
const CHALLENGE_HTML: &str = include_str!("assets/challenge.html");

/// Test switches of the stand-in widget.
#[derive(Debug, Default, Clone, Copy)]
pub struct WidgetSwitches {
    pub loader_missing: bool,
    pub token_age_s: i64,
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty())
}

/// `Some(reply)` when `path` is one of the widget routes.
pub(super) fn route(state: &State, request: &http::Request) -> Option<Reply> {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let reply = match (request.method.as_str(), path) {
        ("GET", p) if p.starts_with("/__mock/loader/") => {
            let name = p
                .trim_start_matches("/__mock/loader/")
                .trim_end_matches(".js");
            match ProviderKind::parse(name) {
                Some(provider) if !state.widget_switches().loader_missing => Reply::Asset(
                    200,
                    "application/javascript",
                    LOADER_JS
                        .replace("PROVIDER", provider.as_str())
                        .into_bytes(),
                ),
                _ => Reply::Asset(404, "text/plain", b"no such loader".to_vec()),
            }
        }
        ("GET", "/__mock/challenge") => {
            let provider = query_param(query, "provider")
                .and_then(|p| ProviderKind::parse(&p))
                .map_or("unknown", ProviderKind::as_str);
            Reply::Asset(
                200,
                "text/html; charset=utf-8",
                CHALLENGE_HTML.replace("PROVIDER", provider).into_bytes(),
            )
        }
        ("POST", "/__mock/solve") => solve(
            state,
            &serde_json::from_slice(&request.body).unwrap_or(Value::Null),
        ),
        ("POST", "/__mock/widget") => {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let mut switches = state.widget_switches();
            if let Some(missing) = body.get("loader_missing").and_then(Value::as_bool) {
                switches.loader_missing = missing;
            }
            if let Some(age) = body.get("token_age_s").and_then(Value::as_i64) {
                switches.token_age_s = age;
            }
            state.set_widget_switches(switches);
            Reply::Json(
                200,
                json!({ "loader_missing": switches.loader_missing, "token_age_s": switches.token_age_s }),
            )
        }
        _ => return None,
    };
    Some(reply)
}

/// A fresh token for a solved challenge, scripted to answer with the
/// challenge's action (and Turnstile's cdata) and solved `token_age_s` ago.
fn solve(state: &State, body: &Value) -> Reply {
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let Some(provider) = text("provider").and_then(|p| ProviderKind::parse(&p)) else {
        return Reply::Json(400, json!({ "error": "provider is required" }));
    };
    let seq = state.counters.challenge_seq.fetch_add(1, Ordering::SeqCst) + 1;
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let token = match provider {
        ProviderKind::CaptchaLa => format!("pt_mock{seq:06}{salt:08x}"),
        _ => format!("mock.{}.{seq:06}.{salt:08x}", provider.as_str()),
    };
    let answers_action = matches!(provider, ProviderKind::CaptchaLa | ProviderKind::Turnstile);
    let behaviour = Behaviour {
        action: text("action").filter(|_| answers_action),
        cdata: text("cdata").filter(|_| provider == ProviderKind::Turnstile),
        solved_at_offset_s: -state.widget_switches().token_age_s,
        ..Behaviour::default()
    };
    state.script(&token, behaviour);
    Reply::Json(200, json!({ "token": token }))
}
