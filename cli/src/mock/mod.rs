//! `passgate mock`: a local emulator of every provider (DESIGN §9).
//!
//! Serves CaptchaLa's `POST /v1/validate`, `POST /api/validate` (backup) and
//! `POST /v1/server/challenge/issue`, and the reCAPTCHA, hCaptcha and
//! Turnstile siteverify endpoints (`siteverify.rs`); consumes tokens like the
//! real services;
//! answers per token as scripted; counts connections and calls. Admin
//! endpoints live under `/__mock/`.

mod behaviour;
mod http;
mod siteverify;
mod tls;
mod widget;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use behaviour::{envelope_error, reason_phrase, scripted_failure, valid_answer, Reply};
pub use behaviour::{Behaviour, ErrorPlace, Fault};
pub use siteverify::{HCAPTCHA_TEST_SITE_KEYS, HCAPTCHA_TEST_TOKENS, TURNSTILE_DUMMY_TOKEN};
pub use tls::ThrowawayCerts;

pub const DEFAULT_APP_KEY: &str = "test-app-key";
pub const DEFAULT_APP_SECRET: &str = "test-app-secret";
/// The siteverify secret the emulator accepts (besides the test secrets).
pub const DEFAULT_SECRET_KEY: &str = "test-secret-key";
/// The hCaptcha site key the emulator accepts as `sitekey`.
pub const DEFAULT_SITE_KEY: &str = "test-site-key";

#[derive(Debug, Clone)]
pub struct MockOptions {
    pub bind: SocketAddr,
    pub app_key: String,
    pub app_secret: String,
    pub secret_key: String,
    pub site_key: String,
    pub tls: bool,
    pub scripts: HashMap<String, Behaviour>,
    /// Seconds added to every answer's `Date` header (a provider whose clock,
    /// or this host's, is off); 0 sends the true time.
    pub date_skew_s: i64,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            app_key: DEFAULT_APP_KEY.into(),
            app_secret: DEFAULT_APP_SECRET.into(),
            secret_key: DEFAULT_SECRET_KEY.into(),
            site_key: DEFAULT_SITE_KEY.into(),
            tls: false,
            scripts: HashMap::new(),
            date_skew_s: 0,
        }
    }
}

/// Counters reported by `GET /__mock/stats`.
#[derive(Debug, Default)]
struct Counters {
    connections_accepted: AtomicU64,
    api_connections: AtomicU64,
    validate_calls: AtomicU64,
    backup_validate_calls: AtomicU64,
    issue_calls: AtomicU64,
    siteverify_calls: AtomicU64,
    idempotency_key_reuses: AtomicU64,
    challenge_seq: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub connections_accepted: u64,
    /// Connections that carried at least one validate/issue call.
    pub api_connections: u64,
    pub validate_calls: u64,
    pub backup_validate_calls: u64,
    pub issue_calls: u64,
    pub siteverify_calls: u64,
    /// siteverify calls that repeated an earlier call's `idempotency_key`.
    pub idempotency_key_reuses: u64,
}

#[derive(Default)]
struct Tokens {
    consumed: HashSet<String>,
    scripts: HashMap<String, Behaviour>,
    /// Calls answered by each script with `times`.
    script_uses: HashMap<String, u64>,
    /// siteverify: each consumed token's first idempotency key and answer.
    siteverify_answers: HashMap<String, (Option<String>, Value)>,
    seen_idempotency_keys: HashSet<String>,
    /// The last siteverify request, secret and token left out.
    last_siteverify: Value,
    widget: widget::WidgetSwitches,
}

pub struct State {
    app_key: String,
    app_secret: String,
    secret_key: String,
    site_key: String,
    date_skew_s: i64,
    counters: Counters,
    tokens: Mutex<Tokens>,
}

impl State {
    fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            connections_accepted: c.connections_accepted.load(Ordering::SeqCst),
            api_connections: c.api_connections.load(Ordering::SeqCst),
            validate_calls: c.validate_calls.load(Ordering::SeqCst),
            backup_validate_calls: c.backup_validate_calls.load(Ordering::SeqCst),
            issue_calls: c.issue_calls.load(Ordering::SeqCst),
            siteverify_calls: c.siteverify_calls.load(Ordering::SeqCst),
            idempotency_key_reuses: c.idempotency_key_reuses.load(Ordering::SeqCst),
        }
    }

    /// What the last siteverify call sent: `provider`, `content_type`,
    /// `field_names` and `fields` (the secret and token left out).
    pub fn last_siteverify(&self) -> Value {
        self.tokens().last_siteverify.clone()
    }

    /// Remember what a siteverify call sent (never the secret or token).
    fn record_siteverify(
        &self,
        provider: passgate_core::ProviderKind,
        content_type: Option<&str>,
        fields: &HashMap<String, String>,
    ) {
        let mut tokens = self.tokens();
        if let Some(key) = fields.get("idempotency_key") {
            if !tokens.seen_idempotency_keys.insert(key.clone()) {
                self.counters
                    .idempotency_key_reuses
                    .fetch_add(1, Ordering::SeqCst);
            }
        }
        let shown: serde_json::Map<String, Value> = fields
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "secret" | "response"))
            .map(|(name, value)| (name.clone(), value.as_str().into()))
            .collect();
        let mut names: Vec<&String> = fields.keys().collect();
        names.sort();
        tokens.last_siteverify = json!({
            "provider": provider.as_str(),
            "content_type": content_type,
            "field_names": names,
            "fields": shown,
        });
    }

    pub fn script(&self, key: &str, behaviour: Behaviour) {
        let mut tokens = self.tokens();
        tokens.script_uses.remove(key);
        tokens.scripts.insert(key.to_string(), behaviour);
    }

    /// Zero the counters and forget consumed tokens; scripts stay.
    pub fn reset(&self) {
        let c = &self.counters;
        for counter in [
            &c.connections_accepted,
            &c.api_connections,
            &c.validate_calls,
            &c.backup_validate_calls,
            &c.issue_calls,
            &c.siteverify_calls,
            &c.idempotency_key_reuses,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
        let mut tokens = self.tokens();
        tokens.consumed.clear();
        tokens.script_uses.clear();
        tokens.siteverify_answers.clear();
        tokens.seen_idempotency_keys.clear();
        tokens.widget = widget::WidgetSwitches::default();
    }

    fn widget_switches(&self) -> widget::WidgetSwitches {
        self.tokens().widget
    }

    fn set_widget_switches(&self, switches: widget::WidgetSwitches) {
        self.tokens().widget = switches;
    }

    /// The script for `key` if it still applies (counting this use).
    fn take_script(&self, key: &str) -> Behaviour {
        let mut tokens = self.tokens();
        let Some(script) = tokens.scripts.get(key).cloned() else {
            return Behaviour::default();
        };
        let uses = tokens.script_uses.entry(key.to_string()).or_insert(0);
        *uses += 1;
        match script.times {
            Some(times) if *uses > times => Behaviour::default(),
            _ => script,
        }
    }
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Scripts from a file: a `conformance/cases.json` (every call's `emulator`
/// keyed by its token) or a plain `{ "<token>": { ...script } }` map.
pub fn load_scripts(text: &str) -> Result<HashMap<String, Behaviour>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut scripts = HashMap::new();
    if let Some(cases) = root.get("cases").and_then(Value::as_array) {
        for case in cases {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("?");
            for call in case
                .get("calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(token), Some(script)) = (
                    call.get("token").and_then(Value::as_str),
                    call.get("emulator"),
                ) else {
                    continue;
                };
                let behaviour =
                    Behaviour::from_json(script).map_err(|e| format!("case {name}: {e}"))?;
                scripts.insert(token.to_string(), behaviour);
            }
        }
    } else if let Some(map) = root.as_object() {
        for (token, script) in map {
            scripts.insert(
                token.clone(),
                Behaviour::from_json(script).map_err(|e| format!("{token}: {e}"))?,
            );
        }
    } else {
        return Err("expected {\"cases\": [...]} or a {token: script} object".into());
    }
    Ok(scripts)
}

/// An emulator running on its own threads, for tests and `passgate demo`.
pub struct MockServer {
    pub base_url: String,
    /// PEM of the CA that signed the TLS certificate, with `tls`.
    pub ca_pem: Option<String>,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl MockServer {
    pub fn start(options: MockOptions) -> std::io::Result<MockServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("passgate-mock")
            .enable_all()
            .build()?;
        let bound = runtime.block_on(bind(options))?;
        let base_url = bound.base_url.clone();
        let ca_pem = bound.ca_pem.clone();
        let state = bound.state.clone();
        runtime.spawn(bound.serve());
        Ok(MockServer {
            base_url,
            ca_pem,
            state,
            runtime: Some(runtime),
        })
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    pub fn script(&self, token: &str, behaviour: Behaviour) {
        self.state.script(token, behaviour);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A listening emulator, not yet serving.
pub struct Bound {
    pub base_url: String,
    pub ca_pem: Option<String>,
    pub state: Arc<State>,
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
}

pub async fn bind(options: MockOptions) -> std::io::Result<Bound> {
    let listener = TcpListener::bind(options.bind).await?;
    let addr = listener.local_addr()?;
    let (acceptor, ca_pem) = if options.tls {
        let (acceptor, ca_pem) = tls::acceptor().map_err(std::io::Error::other)?;
        (Some(acceptor), Some(ca_pem))
    } else {
        (None, None)
    };
    let scheme = if options.tls { "https" } else { "http" };
    Ok(Bound {
        base_url: format!("{scheme}://{addr}"),
        ca_pem,
        state: Arc::new(State {
            app_key: options.app_key,
            app_secret: options.app_secret,
            secret_key: options.secret_key,
            site_key: options.site_key,
            date_skew_s: options.date_skew_s,
            counters: Counters::default(),
            tokens: Mutex::new(Tokens {
                scripts: options.scripts,
                ..Tokens::default()
            }),
        }),
        listener,
        acceptor,
    })
}

impl Bound {
    pub async fn serve(self) {
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                // Out of file descriptors and the like: back off, keep going.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            self.state
                .counters
                .connections_accepted
                .fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_nodelay(true);
            let state = self.state.clone();
            let acceptor = self.acceptor.clone();
            tokio::spawn(async move {
                match acceptor {
                    None => {
                        let mut stream = stream;
                        if serve_connection(&mut stream, &state).await == Ending::Reset {
                            let _ = stream.set_zero_linger();
                        }
                    }
                    Some(acceptor) => {
                        let Ok(mut stream) = acceptor.accept(stream).await else {
                            return;
                        };
                        if serve_connection(&mut stream, &state).await == Ending::Reset {
                            let _ = stream.get_ref().0.set_zero_linger();
                        }
                    }
                }
            });
        }
    }
}

#[derive(PartialEq, Eq)]
enum Ending {
    Closed,
    Reset,
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    state: &State,
) -> Ending {
    let mut buffer = Vec::new();
    let mut counted_api = false;
    loop {
        let request = match http::read_request(stream, &mut buffer).await {
            Ok(Some(request)) => request,
            Ok(None) | Err(_) => return Ending::Closed,
        };
        let is_api = !request.path.starts_with("/__mock/");
        if is_api && !counted_api {
            counted_api = true;
            state
                .counters
                .api_connections
                .fetch_add(1, Ordering::SeqCst);
        }
        let reply = route(state, &request).await;
        let keep_alive = request.keep_alive;
        let date = http::http_date(now_s().saturating_add(state.date_skew_s));
        let written = match reply {
            Reply::Json(status, body) => {
                let body = body.to_string();
                http::write_response(
                    stream,
                    &date,
                    status,
                    reason_phrase(status),
                    "application/json",
                    body.as_bytes(),
                    keep_alive,
                )
                .await
            }
            Reply::Redirect(status, location, body) => {
                http::write_redirect(
                    stream,
                    status,
                    &location,
                    &date,
                    body.to_string().as_bytes(),
                )
                .await
            }
            Reply::Asset(status, content_type, body) => {
                http::write_response(
                    stream,
                    &date,
                    status,
                    reason_phrase(status),
                    content_type,
                    &body,
                    keep_alive,
                )
                .await
            }
            Reply::Raw(status, body) => {
                http::write_response(
                    stream,
                    &date,
                    status,
                    reason_phrase(status),
                    "text/html",
                    &body,
                    keep_alive,
                )
                .await
            }
            Reply::Fault(Fault::Close) => return Ending::Closed,
            Reply::Fault(Fault::ResetMidBody) => {
                let _ = http::write_truncated(stream).await;
                return Ending::Reset;
            }
            Reply::Fault(Fault::Silence) => {
                // Hold the connection open without a word until the peer
                // gives up and closes it.
                let _ = http::read_request(stream, &mut buffer).await;
                return Ending::Closed;
            }
        };
        if written.is_err() || !keep_alive {
            return Ending::Closed;
        }
    }
}

fn json_body(request: &http::Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

async fn route(state: &State, request: &http::Request) -> Reply {
    if let Some(reply) = widget::route(state, request) {
        return reply;
    }
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/validate") => {
            state.counters.validate_calls.fetch_add(1, Ordering::SeqCst);
            validate(state, request).await
        }
        ("POST", "/api/validate") => {
            state
                .counters
                .backup_validate_calls
                .fetch_add(1, Ordering::SeqCst);
            validate(state, request).await
        }
        ("POST", "/v1/server/challenge/issue") => {
            state.counters.issue_calls.fetch_add(1, Ordering::SeqCst);
            issue(state, request).await
        }
        ("POST", path) if siteverify::provider_for_path(path).is_some() => {
            match siteverify::provider_for_path(path) {
                Some(provider) => siteverify::siteverify(state, request, provider).await,
                None => Reply::Json(404, json!({})),
            }
        }
        ("GET", "/__mock/stats") => {
            let s = state.stats();
            let last_siteverify = state.tokens().last_siteverify.clone();
            Reply::Json(
                200,
                json!({
                    "connections_accepted": s.connections_accepted,
                    "api_connections": s.api_connections,
                    "validate_calls": s.validate_calls,
                    "backup_validate_calls": s.backup_validate_calls,
                    "issue_calls": s.issue_calls,
                    "siteverify_calls": s.siteverify_calls,
                    "idempotency_key_reuses": s.idempotency_key_reuses,
                    "last_siteverify": last_siteverify,
                }),
            )
        }
        ("POST", "/__mock/script") => {
            let body = json_body(request);
            let Some(token) = body.get("token").and_then(Value::as_str) else {
                return Reply::Json(400, json!({ "error": "token is required" }));
            };
            match Behaviour::from_json(&body) {
                Ok(behaviour) => {
                    state.script(token, behaviour);
                    Reply::Json(200, json!({ "ok": true }))
                }
                Err(e) => Reply::Json(400, json!({ "error": e })),
            }
        }
        ("POST", "/__mock/reset") => {
            state.reset();
            Reply::Json(200, json!({ "ok": true }))
        }
        _ => Reply::Json(
            404,
            json!({ "code": 404, "msg": "not_found", "data": null }),
        ),
    }
}

/// Check the app credentials like the real service; `Some(reply)` refuses.
fn check_keys(state: &State, request: &http::Request) -> Option<Reply> {
    if request.header("x-app-key") != Some(state.app_key.as_str()) {
        return Some(Reply::Json(200, envelope_error(40101, "invalid_app_key")));
    }
    if request.header("x-app-secret") != Some(state.app_secret.as_str()) {
        return Some(Reply::Json(
            200,
            envelope_error(40102, "invalid_app_secret"),
        ));
    }
    None
}

/// What every endpoint does first: the script's delay, the key check, and
/// any scripted failure (`Err` is the reply to send instead).
async fn prelude(state: &State, request: &http::Request, key: &str) -> Result<Behaviour, Reply> {
    let script = state.take_script(key);
    if script.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(script.delay_ms)).await;
    }
    if let Some(refusal) = check_keys(state, request) {
        return Err(refusal);
    }
    match scripted_failure(&script) {
        Some(reply) => Err(reply),
        None => Ok(script),
    }
}

async fn validate(state: &State, request: &http::Request) -> Reply {
    let body = json_body(request);
    let token = body
        .get("pass_token")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let keep_token = body
        .get("keep_token")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let client_ip = body
        .get("client_ip")
        .and_then(Value::as_str)
        .map(str::to_string);
    // Strict about optional fields, so that a client sending `"client_ip":
    // null` for an unknown IP (instead of leaving it out) fails every test.
    let not_string = body.get("client_ip").is_some_and(|v| !v.is_string());
    let not_bool = body.get("keep_token").is_some_and(|v| !v.is_boolean());
    if not_string || not_bool {
        return Reply::Json(
            400,
            json!({ "code": 400, "msg": "client_ip must be a string and keep_token a bool; leave out what is unknown" }),
        );
    }
    let script = match prelude(state, request, &token).await {
        Ok(script) => script,
        Err(reply) => return reply,
    };
    let invalid = |error: &str| {
        Reply::Json(
            200,
            json!({ "code": 0, "msg": "ok", "data": { "valid": false, "error": error } }),
        )
    };
    if token.trim().is_empty() {
        return invalid("empty_token");
    }
    if token.starts_with("dg_") {
        return Reply::Json(
            200,
            json!({ "code": 0, "msg": "ok", "data": { "valid": false, "degraded": true, "reason": "quota_exhausted" } }),
        );
    }
    if !(token.starts_with("pt_") || token.starts_with("offline_")) {
        return invalid("invalid_token");
    }
    {
        let mut tokens = state.tokens();
        if tokens.consumed.contains(&token) {
            return invalid("token_consumed");
        }
        if !keep_token {
            tokens.consumed.insert(token.clone());
        }
    }
    let seq = state.counters.challenge_seq.fetch_add(1, Ordering::SeqCst) + 1;
    Reply::Json(
        200,
        valid_answer(
            &script,
            format!("ch_{seq:06}"),
            client_ip.as_deref(),
            now_s(),
        ),
    )
}

async fn issue(state: &State, request: &http::Request) -> Reply {
    let body = json_body(request);
    let action = body
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Err(reply) = prelude(state, request, &format!("issue:{action}")).await {
        return reply;
    }
    if action.trim().is_empty() {
        return Reply::Json(200, envelope_error(40002, "invalid_action"));
    }
    let ttl = body
        .get("ttl")
        .and_then(Value::as_i64)
        .unwrap_or(300)
        .clamp(1, 3600);
    let seq = state.counters.challenge_seq.fetch_add(1, Ordering::SeqCst) + 1;
    Reply::Json(
        200,
        json!({
            "code": 0,
            "msg": "ok",
            "data": { "server_token": format!("sct_mock_{seq:06}"), "expires_in": ttl, "issued_at": now_s() }
        }),
    )
}
