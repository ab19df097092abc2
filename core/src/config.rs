//! Configuration (DESIGN §6): constructor values first, then environment
//! variables, then defaults. Every error names the setting it is about and
//! never echoes a secret.

use std::time::Duration;

pub use crate::options::{Options, ProviderKind};

/// A bad setting, found at construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The option or environment variable at fault.
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "passgate config: {}: {}", self.setting, self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Talk to the provider.
    Live,
    /// No network: `pt_test_<code>` tokens produce that outcome.
    Test,
}

#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    Memory {
        max_entries: usize,
    },
    None,
    /// `url` may hold a password: never print it (Debug redacts it).
    Redis {
        url: String,
        key_prefix: String,
        timeout: Duration,
    },
}

/// A URL with its password (and user) replaced, for Debug output and
/// phpinfo().
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://[redacted]@{host}"),
            None => url.to_string(),
        },
        None => "[unparsable]".to_string(),
    }
}

impl std::fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreSpec::Memory { max_entries } => f
                .debug_struct("Memory")
                .field("max_entries", max_entries)
                .finish(),
            StoreSpec::None => f.write_str("None"),
            StoreSpec::Redis {
                url,
                key_prefix,
                timeout,
            } => f
                .debug_struct("Redis")
                .field("url", &redact_url(url))
                .field("key_prefix", key_prefix)
                .field("timeout", timeout)
                .finish(),
        }
    }
}

impl StoreSpec {
    pub fn label(&self) -> &'static str {
        match self {
            StoreSpec::Memory { .. } => "memory",
            StoreSpec::None => "none",
            StoreSpec::Redis { .. } => "redis",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub allow_client_only: bool,
    pub allow_degraded: bool,
    pub fail_open_on_store_error: bool,
}

/// What an answer that says "success" must also show (siteverify
/// providers and CaptchaLa's risk score).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerChecks {
    /// Empty: no hostname check.
    pub expected_hostnames: Vec<String>,
    /// reCAPTCHA: a score below this fails (1.0 = human).
    pub min_score: Option<f64>,
    /// hCaptcha Enterprise / CaptchaLa: a risk score above this fails.
    pub max_risk_score: Option<f64>,
}

/// A resolved, checked configuration.
#[derive(Clone)]
pub struct Config {
    pub provider: ProviderKind,
    /// CaptchaLa's app key; empty for the other providers.
    pub app_key: String,
    /// The provider's secret: CaptchaLa's app secret or the siteverify
    /// `secret_key`. Also the fingerprints' HMAC key.
    pub(crate) secret: String,
    pub site_key: Option<String>,
    pub environment: String,
    pub api_base: String,
    pub backup_api_base: String,
    /// The widget's loader script.
    pub script_url: String,
    pub store: StoreSpec,
    pub timeout: Duration,
    pub max_token_age: Duration,
    pub clock_skew: Duration,
    pub mode: Mode,
    pub policy: Policy,
    pub checks: AnswerChecks,
    /// PEM text of the extra trusted CA, read at construction.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("provider", &self.provider.as_str())
            .field("app_key", &self.app_key)
            .field("secret", &"[redacted]")
            .field("site_key", &self.site_key)
            .field("environment", &self.environment)
            .field("api_base", &self.api_base)
            .field("backup_api_base", &self.backup_api_base)
            .field("script_url", &self.script_url)
            .field("store", &self.store)
            .field("timeout", &self.timeout)
            .field("mode", &self.mode)
            .field("policy", &self.policy)
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_API_BASE: &str = "https://apiv1.captcha.la";
pub const DEFAULT_BACKUP_API_BASE: &str = "https://fallbackapiv1.captchala.com";
/// HMAC key for fingerprints in test mode when no secret is configured.
const TEST_MODE_SECRET: &str = "passgate-test-mode";

/// Environments where test mode (and providers' test keys) may run: the
/// trimmed, lower-cased name must be one of these; every other name counts as
/// production.
pub const DEVELOPMENT_ENVIRONMENTS: [&str; 6] =
    ["development", "dev", "local", "test", "testing", "ci"];

/// Whether `environment` is a development one (see `DEVELOPMENT_ENVIRONMENTS`).
pub fn is_development_environment(environment: &str) -> bool {
    let name = environment.trim().to_ascii_lowercase();
    DEVELOPMENT_ENVIRONMENTS.contains(&name.as_str())
}

/// `localhost`, 127.0.0.0/8 or ::1: traffic that never leaves the host.
fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// A base URL the secret may be sent to. The error never repeats the URL: it
/// may hold a password.
fn check_base_url(setting: &str, text: &str, production: bool) -> Result<String, ConfigError> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| ConfigError::new(setting, format!("not a URL ({e})")))?;
    let Some(host) = url.host() else {
        return Err(ConfigError::new(
            setting,
            "must be an http:// or https:// URL with a host",
        ));
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            setting,
            "must be an http:// or https:// URL with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            setting,
            "must not contain a user name or password (the app key and secret are sent as headers)",
        ));
    }
    // The secret travels in a header: over plain HTTP only to this host, and
    // only outside production.
    if url.scheme() == "http" && production && !is_loopback_host(&host) {
        return Err(ConfigError::new(
            setting,
            "must be https:// in a production environment (http:// is allowed only for localhost, 127.0.0.0/8 and ::1); set environment to a development name to use a plain-HTTP test server",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            setting,
            "must not have a query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The loader script's URL: https (http only for a loopback host outside
/// production, as the emulator serves it); a query is allowed (`?hl=de`).
fn check_script_url(text: &str, production: bool) -> Result<String, ConfigError> {
    let setting = "script_url";
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| ConfigError::new(setting, format!("not a URL ({e})")))?;
    let https = url.scheme() == "https";
    let local_http = url.scheme() == "http"
        && !production
        && url.host().is_some_and(|host| is_loopback_host(&host));
    if url.host().is_none() || !(https || local_http) || url.fragment().is_some() {
        return Err(ConfigError::new(
            setting,
            "must be an https:// URL without a fragment (http:// only for a loopback host outside production)",
        ));
    }
    Ok(url.as_str().to_string())
}

/// The checks after "success", from the options that apply to `provider`.
fn resolve_checks(provider: ProviderKind, options: &Options) -> Result<AnswerChecks, ConfigError> {
    let mut expected_hostnames = Vec::new();
    for host in options.expected_hostnames.iter().flatten() {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() || host.contains(['/', ' ', ':']) && !host.starts_with('[') {
            return Err(ConfigError::new(
                "expected_hostnames",
                "must be host names such as \"example.com\" (no scheme, path or port)",
            ));
        }
        expected_hostnames.push(host);
    }
    let min_score = match (provider, options.min_score) {
        (ProviderKind::Recaptcha, None) => Some(0.5),
        (_, given) => given,
    };
    if min_score.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        return Err(ConfigError::new("min_score", "must be between 0.0 and 1.0"));
    }
    if options.max_risk_score.is_some_and(|s| s < 0.0) {
        return Err(ConfigError::new("max_risk_score", "must not be negative"));
    }
    Ok(AnswerChecks {
        expected_hostnames,
        min_score,
        max_risk_score: options.max_risk_score,
    })
}

fn check_credential(setting: &str, value: Option<String>) -> Result<String, ConfigError> {
    let value = value.ok_or_else(|| ConfigError::new(setting, "is required"))?;
    if value.trim().is_empty() {
        return Err(ConfigError::new(setting, "must not be empty"));
    }
    if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ConfigError::new(
            setting,
            "must be printable ASCII without spaces",
        ));
    }
    Ok(value)
}

impl Config {
    /// Options given by the caller, then the process environment.
    pub fn from_options(options: Options) -> Result<Config, ConfigError> {
        Config::resolve(options.with_env(|name| std::env::var(name).ok())?)
    }

    /// Check options that are already complete (no environment lookup).
    pub fn resolve(options: Options) -> Result<Config, ConfigError> {
        let environment = options
            .environment
            .clone()
            .unwrap_or_else(|| "production".into());
        if environment.trim().is_empty() {
            return Err(ConfigError::new("environment", "must not be empty"));
        }
        let mode = match options.mode.as_deref().map(str::trim) {
            None | Some("") | Some("live") => Mode::Live,
            Some("test") => Mode::Test,
            Some(other) => {
                return Err(ConfigError::new(
                    "mode",
                    format!("must be \"live\" or \"test\", got {other:?}"),
                ))
            }
        };
        let production = !is_development_environment(&environment);
        if mode == Mode::Test && production {
            return Err(ConfigError::new(
                "mode",
                format!(
                    "test mode runs only in a development environment ({}); environment (PASSGATE_ENVIRONMENT) counts as production",
                    DEVELOPMENT_ENVIRONMENTS.join(", ")
                ),
            ));
        }
        let provider = options.provider_kind()?;
        options.check_applicable(provider)?;
        let (app_key, secret) = match (provider, mode) {
            (ProviderKind::CaptchaLa, Mode::Test) => (
                options.app_key.clone().unwrap_or_else(|| "test".into()),
                options
                    .app_secret
                    .clone()
                    .unwrap_or_else(|| TEST_MODE_SECRET.into()),
            ),
            (ProviderKind::CaptchaLa, Mode::Live) => (
                check_credential("app_key", options.app_key.clone())?,
                check_credential("app_secret", options.app_secret.clone())?,
            ),
            (_, Mode::Test) => (
                String::new(),
                options
                    .secret_key
                    .clone()
                    .unwrap_or_else(|| TEST_MODE_SECRET.into()),
            ),
            (_, Mode::Live) => (
                String::new(),
                check_credential("secret_key", options.secret_key.clone())?,
            ),
        };
        if production && provider.test_secrets().contains(&secret.as_str()) {
            return Err(ConfigError::new(
                "secret_key",
                format!(
                    "is {}'s published test secret, which passes every token; it is allowed only in a development environment ({})",
                    provider.as_str(),
                    DEVELOPMENT_ENVIRONMENTS.join(", ")
                ),
            ));
        }
        let site_key = match options.site_key.clone() {
            None => None,
            Some(key) => Some(check_credential("site_key", Some(key))?),
        };
        let api_base = check_base_url(
            "api_base",
            options
                .api_base
                .as_deref()
                .unwrap_or(provider.default_api_base()),
            production,
        )?;
        let backup_api_base = check_base_url(
            "backup_api_base",
            options
                .backup_api_base
                .as_deref()
                .unwrap_or(DEFAULT_BACKUP_API_BASE),
            production,
        )?;
        let script_url = check_script_url(
            options
                .script_url
                .as_deref()
                .unwrap_or(crate::widget::default_script_url(provider)),
            production,
        )?;
        let checks = resolve_checks(provider, &options)?;
        let max_entries = options.max_entries.unwrap_or(1_000_000);
        if max_entries == 0 {
            return Err(ConfigError::new("max_entries", "must be at least 1"));
        }
        let max_entries = usize::try_from(max_entries)
            .map_err(|_| ConfigError::new("max_entries", "is too large"))?;
        let extra_ca_pem = match options.ca_file.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    ConfigError::new("ca_file", format!("cannot read {path:?}: {e}"))
                })?;
                if reqwest::Certificate::from_pem_bundle(&pem).map_or(true, |c| c.is_empty()) {
                    return Err(ConfigError::new(
                        "ca_file",
                        format!("{path:?} holds no PEM certificate"),
                    ));
                }
                Some(pem)
            }
        };
        let store = match options.replay_store.as_deref().map(str::trim) {
            None | Some("") | Some("memory") => StoreSpec::Memory { max_entries },
            Some("none") => StoreSpec::None,
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                // Checked here so that a bad URL fails construction; the
                // message never repeats the URL (it may hold a password).
                crate::redis_store::open_client(url, extra_ca_pem.as_deref())
                    .map_err(|reason| ConfigError::new("replay_store", reason))?;
                let store_timeout_ms = options.store_timeout_ms.unwrap_or(500);
                if !(1..=60_000).contains(&store_timeout_ms) {
                    return Err(ConfigError::new(
                        "store_timeout_ms",
                        "must be between 1 and 60000",
                    ));
                }
                StoreSpec::Redis {
                    url: url.to_string(),
                    key_prefix: options
                        .redis_key_prefix
                        .clone()
                        .unwrap_or_else(|| "passgate:replay:".into()),
                    timeout: Duration::from_millis(store_timeout_ms),
                }
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "replay_store",
                    "must be \"memory\", \"none\" or a redis:// or rediss:// URL",
                ))
            }
        };
        let timeout_ms = options.timeout_ms.unwrap_or(5000);
        if !(1..=600_000).contains(&timeout_ms) {
            return Err(ConfigError::new(
                "timeout_ms",
                "must be between 1 and 600000",
            ));
        }
        Ok(Config {
            provider,
            app_key,
            secret,
            site_key,
            environment,
            api_base,
            backup_api_base,
            script_url,
            store,
            timeout: Duration::from_millis(timeout_ms),
            max_token_age: Duration::from_secs(
                options
                    .max_token_age_s
                    .unwrap_or(provider.token_validity_s()),
            ),
            clock_skew: Duration::from_secs(options.clock_skew_s.unwrap_or(30)),
            mode,
            policy: Policy {
                allow_client_only: options.allow_client_only.unwrap_or(false),
                allow_degraded: options.allow_degraded.unwrap_or(false),
                fail_open_on_store_error: options.fail_open_on_store_error.unwrap_or(false),
            },
            checks,
            extra_ca_pem,
        })
    }

    /// Every setting, the secret included: two configs with the same identity
    /// behave the same. Kept in memory only; never print it.
    pub(crate) fn identity(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.provider,
            self.app_key,
            self.secret,
            self.site_key,
            self.checks,
            self.environment,
            self.api_base,
            self.backup_api_base,
            self.script_url,
            match &self.store {
                StoreSpec::Redis {
                    url,
                    key_prefix,
                    timeout,
                } => format!("redis {url} {key_prefix} {timeout:?}"),
                other => format!("{other:?}"),
            },
            self.timeout,
            self.max_token_age,
            self.clock_skew,
            self.mode,
            self.policy,
            // Its digest: a PEM printed as a byte list was most of the cost
            // of a PHP request's `new Verifier` (issue 16's profile).
            self.extra_ca_pem.as_deref().map(|pem| {
                use sha2::Digest;
                sha2::Sha256::digest(pem)
            }),
        )
    }

    /// Older than `max_token_age` + `clock_skew`.
    pub fn is_expired(&self, token_age_ms: i64) -> bool {
        i64::try_from((self.max_token_age + self.clock_skew).as_millis())
            .is_ok_and(|max_age_ms| token_age_ms > max_age_ms)
    }

    /// Solved more than `clock_skew` in the future: this host's clock or the
    /// answer is wrong.
    pub fn is_from_the_future(&self, token_age_ms: i64) -> bool {
        i64::try_from(self.clock_skew.as_millis()).is_ok_and(|skew_ms| token_age_ms < -skew_ms)
    }

    /// How long a claim lives: a token older than `max_token_age` +
    /// `clock_skew` is expired anyway, and the claim must outlive the
    /// upstream call that may still be deciding about it.
    pub fn claim_ttl(&self) -> Duration {
        self.max_token_age + self.clock_skew + self.timeout
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
