//! The page half: each provider's widget markup and the Content Security
//! Policy sources it needs. Bindings hand `WidgetArgs` over by name and print
//! the HTML; framework helpers merge `csp()` into the framework's CSP tool.
//!
//! Every widget is one container plus one inline bootstrap script whose text
//! never changes, so its hash is a fixed CSP source (`csp()` lists it) and
//! pages work without `'unsafe-inline'` whether or not they use nonces. The
//! bootstrap reads its settings from the container's `data-` attributes,
//! loads the provider's script once per page (explicit rendering, so two
//! widgets on one page render once each), and shows the container's hint
//! when the script cannot load. No inline `style=`: strict `style-src` holds.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::config::ConfigError;
use crate::options::{OptionValue, ProviderKind};

/// The provider's loader and CSP sources (PROVIDERS.md).
struct WidgetSpec {
    loader: &'static str,
    /// `directive → sources` besides the bootstrap's hash.
    sources: &'static [(&'static str, &'static [&'static str])],
}

fn spec(provider: ProviderKind) -> WidgetSpec {
    match provider {
        // The loader fetches the SDK and its stylesheet from the CDN and
        // talks to the API hosts (the SDK's own sources).
        ProviderKind::CaptchaLa => WidgetSpec {
            loader: "https://cdn.captcha-cdn.net/captchala-loader.js",
            sources: &[
                ("script-src", &["https://cdn.captcha-cdn.net"]),
                ("style-src", &["https://cdn.captcha-cdn.net"]),
                ("img-src", &["https://cdn.captcha-cdn.net"]),
                (
                    "connect-src",
                    &[
                        "https://apiv1.captcha.la",
                        "https://fallbackapiv1.captchala.com",
                    ],
                ),
            ],
        },
        ProviderKind::Recaptcha => WidgetSpec {
            loader: "https://www.google.com/recaptcha/api.js",
            sources: &[
                (
                    "script-src",
                    &[
                        "https://www.google.com/recaptcha/",
                        "https://www.gstatic.com/recaptcha/",
                    ],
                ),
                (
                    "frame-src",
                    &[
                        "https://www.google.com/recaptcha/",
                        "https://recaptcha.google.com/recaptcha/",
                    ],
                ),
                ("img-src", &["https://www.gstatic.com/recaptcha/"]),
                ("connect-src", &["https://www.google.com/recaptcha/"]),
            ],
        },
        ProviderKind::Hcaptcha => WidgetSpec {
            loader: "https://js.hcaptcha.com/1/api.js",
            sources: &[
                ("script-src", HCAPTCHA_HOSTS),
                ("frame-src", HCAPTCHA_HOSTS),
                ("style-src", HCAPTCHA_HOSTS),
                ("connect-src", HCAPTCHA_HOSTS),
            ],
        },
        ProviderKind::Turnstile => WidgetSpec {
            loader: "https://challenges.cloudflare.com/turnstile/v0/api.js",
            sources: &[
                ("script-src", &["https://challenges.cloudflare.com"]),
                ("frame-src", &["https://challenges.cloudflare.com"]),
            ],
        },
    }
}

const HCAPTCHA_HOSTS: &[&str] = &["https://hcaptcha.com", "https://*.hcaptcha.com"];

/// The provider's loader script URL: the default of `script_url`.
pub fn default_script_url(provider: ProviderKind) -> &'static str {
    spec(provider).loader
}

/// The inline script every widget carries, byte for byte (its hash is in
/// `csp()`). It must stay free of per-widget data.
pub const BOOTSTRAP_JS: &str = include_str!("widget_bootstrap.js");

/// The CSP source that allows `BOOTSTRAP_JS`.
pub fn bootstrap_hash_source() -> String {
    let digest = Sha256::digest(BOOTSTRAP_JS.trim_end_matches('\n').as_bytes());
    format!("'sha256-{}'", base64(&digest))
}

/// The arguments of `widget()`, by the names every binding uses.
#[derive(Debug, Clone, Default)]
pub struct WidgetArgs {
    /// The action the token is solved for (Turnstile `data-action`,
    /// CaptchaLa `data-action`); validate with the same action.
    pub action: Option<String>,
    /// Turnstile's `data-cdata`.
    pub cdata: Option<String>,
    /// The page's CSP nonce, put on the bootstrap script.
    pub nonce: Option<String>,
    /// CaptchaLa: a server token from `issue_server_token`.
    pub server_token: Option<String>,
    /// Language of the "could not load" hint (the outcome messages' table).
    pub lang: Option<String>,
}

/// The argument names `WidgetArgs::set` takes, in the docs' order.
pub const WIDGET_ARGS: [&str; 5] = ["action", "cdata", "nonce", "server_token", "lang"];

impl WidgetArgs {
    /// Set one argument by name; `Null` leaves it unset.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), ConfigError> {
        let text = match value {
            OptionValue::Null => None,
            OptionValue::Str(text) => Some(text),
            _ => return Err(ConfigError::new(name, "must be a string")),
        };
        match name {
            "action" => self.action = text,
            "cdata" => self.cdata = text,
            "nonce" => self.nonce = text,
            "server_token" => self.server_token = text,
            "lang" => self.lang = text,
            other => {
                return Err(ConfigError::new(
                    other,
                    format!("unknown widget argument; known: {}", WIDGET_ARGS.join(", ")),
                ))
            }
        }
        Ok(())
    }
}

/// What a provider's widget needs from the configuration.
pub(crate) struct WidgetConfig<'a> {
    pub provider: ProviderKind,
    /// CaptchaLa's app key or the site key.
    pub public_key: Option<&'a str>,
    pub script_url: &'a str,
}

static WIDGET_SEQ: AtomicU64 = AtomicU64::new(0);

/// The widget's HTML: container, hidden field where the provider does not
/// make one, hint, and the bootstrap script.
pub(crate) fn render(config: &WidgetConfig, args: &WidgetArgs) -> Result<String, ConfigError> {
    let provider = config.provider;
    let key_name = match provider {
        ProviderKind::CaptchaLa => "app_key",
        _ => "site_key",
    };
    let public_key = config
        .public_key
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| {
            ConfigError::new(
                key_name,
                "is required to render the widget (it is the public key the browser sends)",
            )
        })?;
    let action = args.action.as_deref().filter(|a| !a.is_empty());
    if let Some(action) = action {
        check_word("action", action, max_action_len(provider), "/")?;
    }
    let cdata = args.cdata.as_deref().filter(|c| !c.is_empty());
    if let Some(cdata) = cdata {
        if provider != ProviderKind::Turnstile {
            return Err(ConfigError::new(
                "cdata",
                "is a Turnstile widget attribute only",
            ));
        }
        check_word("cdata", cdata, 255, "")?;
    }
    let server_token = args.server_token.as_deref().filter(|t| !t.is_empty());
    if server_token.is_some() && provider != ProviderKind::CaptchaLa {
        return Err(ConfigError::new(
            "server_token",
            "is a CaptchaLa widget attribute only",
        ));
    }
    if let Some(token) = server_token {
        check_word("server_token", token, 512, "")?;
    }
    let nonce = args.nonce.as_deref().filter(|n| !n.is_empty());
    if let Some(nonce) = nonce {
        let ok = nonce.len() <= 256
            && nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b));
        if !ok {
            return Err(ConfigError::new(
                "nonce",
                "must be a base64 CSP nonce (letters, digits, + / = _ -)",
            ));
        }
    }
    let hint = crate::messages::widget_unavailable(args.lang.as_deref().unwrap_or("en"));
    let id = format!(
        "passgate-{}",
        WIDGET_SEQ.fetch_add(1, Ordering::Relaxed) + 1
    );

    let mut challenge = format!(
        "<div class=\"passgate-challenge\" id=\"{id}\" data-passgate-target data-sitekey=\"{}\"",
        escape(public_key)
    );
    if let Some(action) = action {
        challenge += &format!(" data-action=\"{}\"", escape(action));
    }
    if let Some(cdata) = cdata {
        challenge += &format!(" data-cdata=\"{}\"", escape(cdata));
    }
    if let Some(token) = server_token {
        challenge += &format!(" data-server-token=\"{}\"", escape(token));
    }
    challenge += "></div>";
    // The other providers' scripts make their hidden field inside the
    // container; CaptchaLa's is ours to make.
    let hidden = match provider {
        ProviderKind::CaptchaLa => format!(
            "<input type=\"hidden\" name=\"{}\" value=\"\">",
            provider.form_field()
        ),
        _ => String::new(),
    };
    let nonce_attr = nonce.map_or(String::new(), |n| format!(" nonce=\"{n}\""));
    Ok(format!(
        "<div class=\"passgate-widget\" data-passgate-provider=\"{provider}\" data-passgate-loader=\"{loader}\" data-passgate-field=\"{field}\">\
         {challenge}{hidden}<p class=\"passgate-widget-error\" role=\"alert\" hidden>{hint}</p></div>\
         <script{nonce_attr}>{bootstrap}</script>",
        provider = provider.as_str(),
        loader = escape(&loader_url(provider, config.script_url)),
        field = provider.form_field(),
        hint = escape(hint),
        bootstrap = BOOTSTRAP_JS.trim_end_matches('\n'),
    ))
}

/// The loader URL as the page asks for it: explicit rendering where the
/// provider has it, so that the bootstrap renders each container once.
fn loader_url(provider: ProviderKind, script_url: &str) -> String {
    if provider == ProviderKind::CaptchaLa {
        return script_url.to_string();
    }
    let separator = if script_url.contains('?') { '&' } else { '?' };
    format!("{script_url}{separator}render=explicit")
}

fn max_action_len(provider: ProviderKind) -> usize {
    match provider {
        ProviderKind::Turnstile => 32,
        _ => 100,
    }
}

/// Letters, digits, `_`, `-` and `extra`, 1 to `max` bytes: the attribute
/// values the providers accept, so nothing needs more than escaping.
fn check_word(name: &str, value: &str, max: usize, extra: &str) -> Result<(), ConfigError> {
    let ok = value.len() <= max
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || extra.as_bytes().contains(&b)
        });
    if ok {
        Ok(())
    } else {
        let also = if extra.is_empty() {
            String::new()
        } else {
            format!(", {extra}")
        };
        Err(ConfigError::new(
            name,
            format!("must be at most {max} letters, digits, _, -{also}"),
        ))
    }
}

/// `directive → sources` for the widget: the provider's hosts, plus the
/// origin of a `script_url` that is not the provider's in every directive
/// (a self-hosted or alternate-domain loader may frame and call from there,
/// and may still use the provider's hosts), plus the bootstrap's hash in
/// `script-src`.
pub(crate) fn csp(provider: ProviderKind, script_url: &str) -> Vec<(&'static str, Vec<String>)> {
    let spec = spec(provider);
    let other_origin = (script_url != spec.loader).then(|| origin(script_url));
    let mut directives: Vec<(&'static str, Vec<String>)> = spec
        .sources
        .iter()
        .map(|(directive, sources)| {
            let mut sources: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
            if let Some(extra) = &other_origin {
                if !sources.contains(extra) {
                    sources.push(extra.clone());
                }
            }
            (*directive, sources)
        })
        .collect();
    if let Some(extra) = &other_origin {
        if !directives.iter().any(|(d, _)| *d == "frame-src") {
            // A stand-in or self-hosted copy may frame its challenge.
            directives.push(("frame-src", vec![extra.clone()]));
        }
    }
    if let Some((_, sources)) = directives.iter_mut().find(|(d, _)| *d == "script-src") {
        sources.push(bootstrap_hash_source());
    }
    directives
}

/// The docs' table of each provider's loader, form field and CSP sources
/// (`passgate csp --markdown`, pasted into docs/widget.md).
pub fn csp_markdown_table() -> String {
    let mut out = String::from(
        "| provider | loader script | form field | CSP sources |\n|---|---|---|---|\n",
    );
    for provider in ProviderKind::ALL {
        let spec = spec(provider);
        let sources: Vec<String> = spec
            .sources
            .iter()
            .map(|(directive, sources)| {
                let quoted: Vec<String> = sources.iter().map(|s| format!("`{s}`")).collect();
                format!("{directive} {}", quoted.join(" "))
            })
            .collect();
        out.push_str(&format!(
            "| {} | `{}` | `{}` | {}; script-src also `{}` |\n",
            provider.as_str(),
            spec.loader,
            provider.form_field(),
            sources.join("; "),
            bootstrap_hash_source(),
        ));
    }
    out
}

/// `scheme://host[:port]` of a checked URL.
fn origin(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => parsed.origin().ascii_serialization(),
        Err(_) => url.to_string(),
    }
}

/// Escape text for an HTML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "widget_tests.rs"]
mod tests;
