//! The option table (DESIGN §6): every option once — its name, environment
//! variable, type, default, the providers it applies to and one line of
//! documentation. The `Options` struct, `Options::set`, `Options::with_env`,
//! `OPTION_NAMES`, the docs' table (`passgate options --markdown`, pasted
//! into docs/configuration.md) and the
//! check of every binding's type stubs (`cli/tests/option_table.rs`) all come
//! from `option_table!` below: a new option is one line here.

use crate::config::ConfigError;

/// The CAPTCHA service that verifies tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    CaptchaLa,
    Recaptcha,
    Hcaptcha,
    Turnstile,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::CaptchaLa,
        ProviderKind::Recaptcha,
        ProviderKind::Hcaptcha,
        ProviderKind::Turnstile,
    ];
    /// The providers that answer on a `siteverify` endpoint.
    pub const SITEVERIFY: [ProviderKind; 3] = [
        ProviderKind::Recaptcha,
        ProviderKind::Hcaptcha,
        ProviderKind::Turnstile,
    ];

    /// The option value and the log record's `provider`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::CaptchaLa => "captchala",
            ProviderKind::Recaptcha => "recaptcha",
            ProviderKind::Hcaptcha => "hcaptcha",
            ProviderKind::Turnstile => "turnstile",
        }
    }

    pub fn parse(name: &str) -> Option<ProviderKind> {
        let name = name.trim().to_ascii_lowercase();
        ProviderKind::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// An option value as a host language hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<String>),
}

/// What an option holds, for parsing, redaction and the type stubs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    Text,
    /// Text that is never printed.
    Secret,
    /// A URL that may hold a password: printed with it redacted.
    Url,
    Count,
    Flag,
    Number,
    /// A list of strings; comma-separated in the environment.
    List,
}

impl OptionKind {
    /// The type's name in the docs.
    pub fn describe(self) -> &'static str {
        match self {
            OptionKind::Text | OptionKind::Secret | OptionKind::Url => "string",
            OptionKind::Count => "integer",
            OptionKind::Flag => "bool",
            OptionKind::Number => "number",
            OptionKind::List => "list of strings",
        }
    }
}

/// One row of the option table.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    pub name: &'static str,
    /// The environment variable read when the option is not given.
    pub env: Option<&'static str>,
    pub kind: OptionKind,
    /// The default, in words, for the docs.
    pub default: &'static str,
    pub providers: &'static [ProviderKind],
    pub doc: &'static str,
}

impl OptionSpec {
    pub fn applies_to(&self, provider: ProviderKind) -> bool {
        self.providers.contains(&provider)
    }
}

/// Converts between host values, environment text and one option's type.
trait OptionType: Sized {
    fn from_value(name: &str, value: OptionValue) -> Result<Option<Self>, ConfigError>;
    fn from_text(name: &str, text: &str) -> Result<Self, ConfigError>;
}

impl OptionType for String {
    fn from_value(name: &str, value: OptionValue) -> Result<Option<Self>, ConfigError> {
        match value {
            OptionValue::Null => Ok(None),
            OptionValue::Str(s) => Ok(Some(s)),
            _ => Err(ConfigError::new(name, "must be a string")),
        }
    }
    fn from_text(_: &str, text: &str) -> Result<Self, ConfigError> {
        Ok(text.to_string())
    }
}

impl OptionType for u64 {
    fn from_value(name: &str, value: OptionValue) -> Result<Option<Self>, ConfigError> {
        match value {
            OptionValue::Null => Ok(None),
            OptionValue::Int(i) => u64::try_from(i)
                .map(Some)
                .map_err(|_| ConfigError::new(name, "must not be negative")),
            OptionValue::Str(s) => Self::from_text(name, &s).map(Some),
            _ => Err(ConfigError::new(name, "must be a whole number")),
        }
    }
    fn from_text(name: &str, text: &str) -> Result<Self, ConfigError> {
        text.trim()
            .parse::<u64>()
            .map_err(|_| ConfigError::new(name, format!("must be a whole number, got {text:?}")))
    }
}

impl OptionType for bool {
    fn from_value(name: &str, value: OptionValue) -> Result<Option<Self>, ConfigError> {
        match value {
            OptionValue::Null => Ok(None),
            OptionValue::Bool(b) => Ok(Some(b)),
            OptionValue::Str(s) => Self::from_text(name, &s).map(Some),
            _ => Err(ConfigError::new(name, "must be true or false")),
        }
    }
    fn from_text(name: &str, text: &str) -> Result<Self, ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            _ => Err(ConfigError::new(name, "must be true or false")),
        }
    }
}

impl OptionType for f64 {
    fn from_value(name: &str, value: OptionValue) -> Result<Option<Self>, ConfigError> {
        let number = match value {
            OptionValue::Null => return Ok(None),
            OptionValue::Float(f) => f,
            OptionValue::Int(i) => i as f64,
            OptionValue::Str(s) => return Self::from_text(name, &s).map(Some),
            _ => return Err(ConfigError::new(name, "must be a number")),
        };
        if number.is_finite() {
            Ok(Some(number))
        } else {
            Err(ConfigError::new(name, "must be a finite number"))
        }
    }
    fn from_text(name: &str, text: &str) -> Result<Self, ConfigError> {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| ConfigError::new(name, format!("must be a number, got {text:?}")))
    }
}

impl OptionType for Vec<String> {
    fn from_value(name: &str, value: OptionValue) -> Result<Option<Self>, ConfigError> {
        match value {
            OptionValue::Null => Ok(None),
            OptionValue::List(items) => Ok(Some(items)),
            OptionValue::Str(s) => Self::from_text(name, &s).map(Some),
            _ => Err(ConfigError::new(name, "must be a list of strings")),
        }
    }
    /// Comma-separated; blanks around each item are dropped.
    fn from_text(_: &str, text: &str) -> Result<Self, ConfigError> {
        Ok(text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect())
    }
}

/// A given value as Debug may show it.
trait Printable {
    fn printable(&self, kind: OptionKind) -> String;
}

impl Printable for String {
    fn printable(&self, kind: OptionKind) -> String {
        match kind {
            OptionKind::Secret => "[redacted]".into(),
            OptionKind::Url => crate::config::redact_url(self),
            _ => format!("{self:?}"),
        }
    }
}

macro_rules! printable_as_debug {
    ($($ty:ty),*) => {$(
        impl Printable for $ty {
            fn printable(&self, _: OptionKind) -> String {
                format!("{self:?}")
            }
        }
    )*};
}
printable_as_debug!(u64, bool, f64, Vec<String>);

use ProviderKind::{CaptchaLa, Hcaptcha, Recaptcha};
const ALL: &[ProviderKind] = &ProviderKind::ALL;
const SITEVERIFY: &[ProviderKind] = &ProviderKind::SITEVERIFY;

macro_rules! option_table {
    ($(
        $name:ident: $ty:ty as $kind:ident,
        env $env:expr, default $default:literal, for $providers:expr,
        $doc:literal;
    )*) => {
        /// Options as given to a constructor; `None` means "not given".
        /// Fields, names and documentation: the table in `options.rs`.
        #[derive(Clone, Default)]
        pub struct Options {
            $( #[doc = $doc] pub $name: Option<$ty>, )*
        }

        /// Every option, in the order the docs list them.
        pub const OPTIONS: &[OptionSpec] = &[$(
            OptionSpec {
                name: stringify!($name),
                env: $env,
                kind: OptionKind::$kind,
                default: $default,
                providers: $providers,
                doc: $doc,
            },
        )*];

        impl Options {
            /// Set one option by its table name; bindings feed host maps
            /// through this so that unknown names and wrong types fail the
            /// same everywhere.
            pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), ConfigError> {
                match name {
                    $( stringify!($name) => {
                        self.$name = <$ty as OptionType>::from_value(name, value)?
                    } )*
                    other => return Err(ConfigError::new(
                        other,
                        format!("unknown option; known options: {}", OPTION_NAMES.join(", ")),
                    )),
                }
                Ok(())
            }

            /// Fill each option not given, that applies to `provider`, from
            /// its environment variable.
            fn fill_from_env(
                &mut self,
                provider: Option<ProviderKind>,
                lookup: &impl Fn(&str) -> Option<String>,
            ) -> Result<(), ConfigError> {
                $(
                    let row = spec(stringify!($name));
                    let applies = provider.map_or(true, |p| row.applies_to(p));
                    if let (None, Some(var), true) = (&self.$name, row.env, applies) {
                        if let Some(text) = lookup(var).filter(|t| !t.is_empty()) {
                            self.$name = Some(<$ty as OptionType>::from_text(var, &text)?);
                        }
                    }
                )*
                Ok(())
            }

            /// The names of the options given, each with its printable value.
            pub fn given(&self) -> Vec<(&'static str, String)> {
                let mut given = Vec::new();
                $(
                    if let Some(value) = &self.$name {
                        given.push((
                            stringify!($name),
                            value.printable(OptionKind::$kind),
                        ));
                    }
                )*
                given
            }
        }
    };
}

option_table! {
    provider: String as Text,
        env Some("PASSGATE_PROVIDER"), default "`captchala`", for ALL,
        "The service that verifies tokens: `captchala`, `recaptcha`, `hcaptcha` or `turnstile`.";
    app_key: String as Text,
        env Some("CAPTCHALA_APP_KEY"), default "required (live mode)", for &[CaptchaLa],
        "CaptchaLa app key (the `X-App-Key` header).";
    app_secret: String as Secret,
        env Some("CAPTCHALA_APP_SECRET"), default "required (live mode)", for &[CaptchaLa],
        "CaptchaLa app secret (the `X-App-Secret` header).";
    secret_key: String as Secret,
        env Some("PASSGATE_SECRET_KEY"), default "required (live mode)", for SITEVERIFY,
        "The siteverify secret (`secret`).";
    site_key: String as Text,
        env Some("PASSGATE_SITE_KEY"), default "none", for SITEVERIFY,
        "The public site key; sent as `sitekey` to hCaptcha, which then checks the token belongs to it.";
    environment: String as Text,
        env Some("PASSGATE_ENVIRONMENT"), default "`production`", for ALL,
        "Deployment name; decides whether test mode and test keys are allowed.";
    api_base: String as Url,
        env Some("PASSGATE_API_BASE"), default "the provider's host", for ALL,
        "Scheme and host of the provider's API; the provider's path is appended.";
    script_url: String as Url,
        env Some("PASSGATE_SCRIPT_URL"), default "the provider's loader script", for ALL,
        "The widget's loader script; point it at a self-hosted copy or `passgate mock`'s stand-in. Its origin is added to the CSP sources.";
    backup_api_base: String as Url,
        env Some("PASSGATE_BACKUP_API_BASE"), default "`https://fallbackapiv1.captchala.com`", for &[CaptchaLa],
        "CaptchaLa's backup API, asked about `offline_` tokens.";
    expected_hostnames: Vec<String> as List,
        env Some("PASSGATE_EXPECTED_HOSTNAMES"), default "no check", for SITEVERIFY,
        "The answer's `hostname` must be one of these (comma-separated in the environment).";
    min_score: f64 as Number,
        env Some("PASSGATE_MIN_SCORE"), default "0.5", for &[Recaptcha],
        "reCAPTCHA v3: a score below this (1.0 = human) is `score_too_low`.";
    max_risk_score: f64 as Number,
        env Some("PASSGATE_MAX_RISK_SCORE"), default "no check", for &[Hcaptcha, CaptchaLa],
        "hCaptcha Enterprise `score` / CaptchaLa `risk_score` (higher = riskier): above this is `score_too_low`.";
    replay_store: String as Url,
        env Some("PASSGATE_REPLAY_STORE"), default "`memory`", for ALL,
        "`memory`, `none`, or `redis://[:password@]host:port/db` (`rediss://` for TLS).";
    redis_key_prefix: String as Text,
        env Some("PASSGATE_REDIS_KEY_PREFIX"), default "`passgate:replay:`", for ALL,
        "Prefix of the Redis replay keys.";
    store_timeout_ms: u64 as Count,
        env Some("PASSGATE_STORE_TIMEOUT_MS"), default "500", for ALL,
        "Deadline of each Redis call.";
    timeout_ms: u64 as Count,
        env Some("PASSGATE_TIMEOUT_MS"), default "5000", for ALL,
        "Deadline of each validation's upstream call (connect + total).";
    max_token_age_s: u64 as Count,
        env Some("PASSGATE_MAX_TOKEN_AGE_S"), default "the provider's validity (CaptchaLa 300, reCAPTCHA 120, hCaptcha 120, Turnstile 300)", for ALL,
        "Older tokens are `expired` (plus `clock_skew_s`).";
    clock_skew_s: u64 as Count,
        env Some("PASSGATE_CLOCK_SKEW_S"), default "30", for ALL,
        "Tolerance for the clocks of this host and the provider.";
    mode: String as Text,
        env Some("PASSGATE_MODE"), default "`live`", for ALL,
        "`test`: no network; `pt_test_<code>` tokens give that outcome (development environments only).";
    ca_file: String as Text,
        env Some("PASSGATE_CA_FILE"), default "none", for ALL,
        "An extra trusted CA (PEM) for the provider and `rediss://`.";
    max_entries: u64 as Count,
        env Some("PASSGATE_MAX_ENTRIES"), default "1000000", for ALL,
        "Bound of the memory replay store.";
    allow_client_only: bool as Flag,
        env None, default "false", for &[CaptchaLa],
        "Let CaptchaLa's browser-made `co_`/`client_` tokens through.";
    allow_degraded: bool as Flag,
        env None, default "false", for &[CaptchaLa],
        "Let CaptchaLa's degraded answers through.";
    fail_open_on_store_error: bool as Flag,
        env None, default "false", for ALL,
        "Let tokens through (still asking the provider) when the replay store is down.";
}

/// The option names, in table order.
pub const OPTION_NAMES: [&str; OPTIONS.len()] = {
    let mut names = [""; OPTIONS.len()];
    let mut i = 0;
    while i < OPTIONS.len() {
        names[i] = OPTIONS[i].name;
        i += 1;
    }
    names
};

/// The table row of `name` (every name the macro passes is in the table).
fn spec(name: &str) -> &'static OptionSpec {
    OPTIONS
        .iter()
        .find(|spec| spec.name == name)
        .unwrap_or(&OPTIONS[0])
}

/// The table row of an option, by name.
pub fn option_spec(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|spec| spec.name == name)
}

impl Options {
    /// Fill every option not given from the environment (`lookup` is
    /// `std::env::var` in production, a map in tests). Only the variables of
    /// options that apply to the chosen provider are read, so a variable left
    /// over for another provider is ignored rather than an error.
    pub fn with_env(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        if self.provider.is_none() {
            self.provider = lookup("PASSGATE_PROVIDER").filter(|t| !t.is_empty());
        }
        let provider = self.provider.as_deref().and_then(ProviderKind::parse);
        self.fill_from_env(Some(provider.unwrap_or(ProviderKind::CaptchaLa)), &lookup)?;
        Ok(self)
    }

    /// The provider these options choose (CaptchaLa when not given).
    pub fn provider_kind(&self) -> Result<ProviderKind, ConfigError> {
        match self.provider.as_deref() {
            None => Ok(ProviderKind::CaptchaLa),
            Some(name) => ProviderKind::parse(name).ok_or_else(|| {
                ConfigError::new(
                    "provider",
                    format!(
                        "must be one of {}, got {name:?}",
                        ProviderKind::ALL.map(ProviderKind::as_str).join(", ")
                    ),
                )
            }),
        }
    }

    /// An option given that does not apply to `provider` is a mistake worth
    /// naming (a CaptchaLa key with `provider = "turnstile"`).
    pub(crate) fn check_applicable(&self, provider: ProviderKind) -> Result<(), ConfigError> {
        for (name, _) in self.given() {
            let spec = spec(name);
            if !spec.applies_to(provider) {
                let applies: Vec<&str> = spec.providers.iter().map(|p| p.as_str()).collect();
                return Err(ConfigError::new(
                    name,
                    format!(
                        "applies only to provider {}; provider is {}",
                        applies.join(", "),
                        provider.as_str()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The option table as a Markdown table, for docs/configuration.md.
    pub fn markdown_table() -> String {
        let mut out = String::from(
            "| option | environment | type | default | providers | |\n|---|---|---|---|---|---|\n",
        );
        for spec in OPTIONS {
            let providers = if spec.providers.len() == ProviderKind::ALL.len() {
                "all".to_string()
            } else {
                spec.providers
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                spec.name,
                spec.env.map_or("—".to_string(), |v| format!("`{v}`")),
                spec.kind.describe(),
                spec.default,
                providers,
                spec.doc,
            ));
        }
        out
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_map();
        for (name, value) in self.given() {
            out.entry(&name, &format_args!("{value}"));
        }
        out.finish()
    }
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
