//! `Verifier`: the public entry points. Async inside; every call runs on the
//! shared runtime so that the connection pool is shared, whichever executor
//! (or plain thread) the caller is on.

use std::sync::Arc;

use crate::config::{Config, ConfigError, Mode, Options, ProviderKind, StoreSpec};
use crate::error::Error;
use crate::forksafe::ForkSafeMutex;
use crate::outcome::Outcome;
use crate::provider::{CaptchaLa, IssueFailure, Provider, ServerToken, Siteverify};
use crate::redis_store::RedisStore;
use crate::replay::{BrokenStore, MemoryStore, NoStore, ReplayStore};
use crate::runtime;
use crate::validate;
use crate::widget::{WidgetArgs, WidgetConfig};

/// One validation's input. The token is the raw form value; it is trimmed,
/// checked and fingerprinted, and never printed.
#[derive(Clone, Default)]
pub struct ValidateRequest {
    pub token: Option<String>,
    pub client_ip: Option<String>,
    /// The action this form expects the token to be solved for.
    pub action: Option<String>,
    /// The uid the token must be bound to.
    pub uid: Option<String>,
    /// Ask the upstream to keep the token valid; claims nothing locally.
    pub keep_token: bool,
}

impl ValidateRequest {
    pub fn new(token: Option<&str>) -> Self {
        ValidateRequest {
            token: token.map(str::to_string),
            ..ValidateRequest::default()
        }
    }
}

impl std::fmt::Debug for ValidateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateRequest")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("client_ip", &self.client_ip)
            .field("action", &self.action)
            .field("uid", &self.uid)
            .field("keep_token", &self.keep_token)
            .finish()
    }
}

/// Input of `issue_server_token` (DESIGN §2).
#[derive(Debug, Clone, Default)]
pub struct IssueRequest {
    pub action: String,
    pub binding_ip: Option<String>,
    pub ttl: Option<u64>,
    pub max_uses: Option<u64>,
    pub bind_uid: Option<String>,
}

pub(crate) struct Inner {
    pub config: Config,
    pub store: Box<dyn ReplayStore>,
    pub provider: Box<dyn Provider>,
    /// Whether validations count in the process's metrics (not the
    /// doctor's probe).
    pub counted: bool,
}

/// Verifies pass tokens. Cheap to clone; clones share the replay store.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Verifier {
    /// Options given, then environment variables, then defaults.
    pub fn new(options: Options) -> Result<Verifier, Error> {
        Ok(Verifier::from_config(Config::from_options(options)?))
    }

    /// Everything from the environment.
    pub fn from_env() -> Result<Verifier, Error> {
        Verifier::new(Options::default())
    }

    pub fn from_config(config: Config) -> Verifier {
        let store: Box<dyn ReplayStore> = match &config.store {
            StoreSpec::Memory { max_entries } => Box::new(MemoryStore::new(*max_entries)),
            StoreSpec::None => Box::new(NoStore),
            StoreSpec::Redis {
                url,
                key_prefix,
                timeout,
            } => match RedisStore::new(url, key_prefix, *timeout, config.extra_ca_pem.as_deref()) {
                Ok(store) => Box::new(store),
                // Checked at resolve time; should it still fail, fail closed.
                Err(reason) => Box::new(BrokenStore(reason)),
            },
        };
        let provider: Box<dyn Provider> = match config.provider {
            ProviderKind::CaptchaLa => Box::new(CaptchaLa::new(&config)),
            _ => Box::new(Siteverify::new(&config)),
        };
        Verifier {
            inner: Arc::new(Inner {
                config,
                store,
                provider,
                counted: true,
            }),
        }
    }

    /// A verifier whose validations stay out of the process's metrics: the
    /// doctor's probe is not traffic.
    pub(crate) fn uncounted(config: Config) -> Verifier {
        let mut verifier = Verifier::from_config(config);
        if let Some(inner) = Arc::get_mut(&mut verifier.inner) {
            inner.counted = false;
        }
        verifier
    }

    /// One verifier per distinct configuration in this process. For hosts
    /// whose objects live for one request (PHP-FPM): the replay store then
    /// lasts as long as the worker process instead of one request.
    pub fn shared(config: Config) -> Verifier {
        static SHARED: ForkSafeMutex<Option<std::collections::HashMap<String, Verifier>>> =
            ForkSafeMutex::new(None);
        let key = config.identity();
        let mut guard = SHARED.lock();
        guard
            .get_or_insert_with(Default::default)
            .entry(key)
            .or_insert_with(|| Verifier::from_config(config))
            .clone()
    }

    /// The form field the provider's widget posts the token in
    /// (`captchala_token`, `g-recaptcha-response`, `h-captcha-response`,
    /// `cf-turnstile-response`): framework helpers read it by default.
    pub fn form_field(&self) -> &'static str {
        self.inner.config.provider.form_field()
    }

    /// What is safe to show about this verifier, in order: every binding's
    /// repr/inspect/var_dump prints this and nothing else (no secret).
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let config = &self.inner.config;
        let mut shown = vec![("provider", config.provider.as_str().to_string())];
        match config.provider {
            ProviderKind::CaptchaLa => shown.push(("app_key", config.app_key.clone())),
            _ => {
                if let Some(site_key) = &config.site_key {
                    shown.push(("site_key", site_key.clone()));
                }
            }
        }
        shown.extend([
            ("environment", config.environment.clone()),
            (
                "mode",
                match config.mode {
                    Mode::Live => "live",
                    Mode::Test => "test",
                }
                .to_string(),
            ),
            ("api_base", config.api_base.clone()),
            ("replay_store", config.store.label().to_string()),
            ("form_field", self.form_field().to_string()),
        ]);
        if config.script_url != crate::widget::default_script_url(config.provider) {
            shown.push(("script_url", config.script_url.clone()));
        }
        shown
    }

    /// The widget's HTML for a form (DESIGN §2b): a container, the hint shown
    /// when the provider's script cannot load, and the bootstrap script
    /// (with `nonce` when given). A missing public key or a bad argument is
    /// a `ConfigError` naming it.
    pub fn widget(&self, args: &WidgetArgs) -> Result<String, ConfigError> {
        let config = &self.inner.config;
        let public_key = match config.provider {
            ProviderKind::CaptchaLa => Some(config.app_key.as_str()),
            _ => config.site_key.as_deref(),
        };
        crate::widget::render(
            &WidgetConfig {
                provider: config.provider,
                public_key,
                script_url: &config.script_url,
            },
            args,
        )
    }

    /// The CSP sources the widget needs, per directive (`script-src` includes
    /// the bootstrap script's hash), for the page's policy.
    pub fn csp(&self) -> Vec<(&'static str, Vec<String>)> {
        crate::widget::csp(self.inner.config.provider, &self.inner.config.script_url)
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Validate a token. Only a caught panic is an `Err`.
    pub async fn validate(&self, request: ValidateRequest) -> Result<Outcome, Error> {
        let inner = self.inner.clone();
        runtime::spawn(async move { validate::run(&inner, request).await })
            .await
            .map_err(Error::Internal)
    }

    /// `validate` without awaiting: the answer is handed to `done` on the
    /// core's I/O thread. For hosts with an event loop of their own (Node
    /// resolves its promise from there), saving the hop through another
    /// executor. Only a caught panic is an `Err`.
    pub fn validate_then(
        &self,
        request: ValidateRequest,
        done: impl FnOnce(Result<Outcome, Error>) + Send + 'static,
    ) {
        let inner = self.inner.clone();
        runtime::spawn_then(
            async move { validate::run(&inner, request).await },
            move |result| done(result.map_err(Error::Internal)),
        );
    }

    /// `validate` for callers that are not async (bindings releasing their
    /// interpreter lock, scripts). Must not be called from inside an async
    /// task: it blocks the thread until the answer is in.
    pub fn validate_blocking(&self, request: ValidateRequest) -> Result<Outcome, Error> {
        let inner = self.inner.clone();
        runtime::block_on(async move { validate::run(&inner, request).await })
            .map_err(Error::Internal)
    }

    pub async fn issue_server_token(&self, request: IssueRequest) -> Result<ServerToken, Error> {
        let inner = self.inner.clone();
        runtime::spawn(async move { issue(&inner, request).await })
            .await
            .map_err(Error::Internal)?
    }

    pub fn issue_server_token_blocking(&self, request: IssueRequest) -> Result<ServerToken, Error> {
        let inner = self.inner.clone();
        runtime::block_on(async move { issue(&inner, request).await }).map_err(Error::Internal)?
    }
}

async fn issue(inner: &Inner, request: IssueRequest) -> Result<ServerToken, Error> {
    let config = &inner.config;
    if request.action.trim().is_empty() {
        return Err(IssueFailure {
            code: crate::OutcomeCode::Rejected,
            upstream_error: Some("invalid_action".into()),
            upstream_status: None,
        }
        .into());
    }
    if config.mode == Mode::Test {
        let now = crate::validate::unix_now_ms() / 1000;
        return Ok(ServerToken {
            server_token: format!(
                "sct_test_{}",
                crate::token::fingerprint("issue", &format!("{now}{}", request.action))
            ),
            expires_in: Some(i64::try_from(request.ttl.unwrap_or(300)).unwrap_or(300)),
            issued_at: Some(now),
        });
    }
    inner
        .provider
        .issue_server_token(request, config.timeout)
        .await
}
