//! `NativeVerifier`: wrapped by the JS `Verifier` class.

use napi::bindgen_prelude::Object;
use napi::Env;
use napi_derive::napi;
use passgate_core::{
    Config, ConfigError, IssueRequest, OptionValue, Options, ValidateRequest, WidgetArgs,
};
use serde_json::Value;

use crate::outcome::{outcome_json, server_token_json};
use crate::{guarded, settle};

/// `appKey` → `app_key`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn option_value(name: &str, value: &Value) -> Result<OptionValue, ConfigError> {
    match value {
        Value::Null => Ok(OptionValue::Null),
        Value::Bool(b) => Ok(OptionValue::Bool(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(OptionValue::Int(i)),
            (None, Some(f)) => Ok(OptionValue::Float(f)),
            _ => Err(ConfigError::new(name, "must be a number")),
        },
        Value::String(s) => Ok(OptionValue::Str(s.clone())),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(OptionValue::List)
            .ok_or_else(|| ConfigError::new(name, "must be an array of strings")),
        _ => Err(ConfigError::new(
            name,
            "expected a string, number, boolean, array of strings or null",
        )),
    }
}

/// Feed a JS object's entries to `set` by their snake_case names; `what`
/// names the argument when it is not an object.
fn each_named(
    object: Option<Value>,
    what: &str,
    mut set: impl FnMut(&str, OptionValue) -> Result<(), ConfigError>,
) -> Result<(), ConfigError> {
    match object {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(map)) => map.iter().try_for_each(|(key, value)| {
            let name = snake_case(key);
            set(&name, option_value(&name, value)?)
        }),
        Some(_) => Err(ConfigError::new(what, "must be an object")),
    }
}

pub(crate) fn parse_options(options: Option<Value>) -> Result<Options, passgate_core::Error> {
    let mut parsed = Options::default();
    each_named(options, "options", |name, value| parsed.set(name, value))?;
    Ok(parsed)
}

#[napi(object)]
pub struct ValidateOptions {
    pub client_ip: Option<String>,
    pub action: Option<String>,
    pub uid: Option<String>,
    pub keep_token: Option<bool>,
}

#[napi(object)]
pub struct IssueOptions {
    pub binding_ip: Option<String>,
    pub ttl: Option<u32>,
    pub max_uses: Option<u32>,
    pub bind_uid: Option<String>,
}

fn request(token: Option<String>, options: Option<ValidateOptions>) -> ValidateRequest {
    let options = options.unwrap_or(ValidateOptions {
        client_ip: None,
        action: None,
        uid: None,
        keep_token: None,
    });
    ValidateRequest {
        token,
        client_ip: options.client_ip,
        action: options.action,
        uid: options.uid,
        keep_token: options.keep_token.unwrap_or(false),
    }
}

#[napi]
pub struct NativeVerifier {
    inner: passgate_core::Verifier,
}

#[napi]
impl NativeVerifier {
    /// Options with camelCase DESIGN names; anything not given comes from the
    /// environment.
    #[napi(constructor)]
    pub fn new(options: Option<Value>) -> napi::Result<Self, String> {
        guarded(|| {
            let config = Config::from_options(parse_options(options)?)?;
            Ok(NativeVerifier {
                inner: passgate_core::Verifier::from_config(config),
            })
        })
    }

    /// Resolves with `{value: outcome}` (or `{error}`); never blocks the
    /// event loop. The core's I/O thread resolves the promise itself: no
    /// hop through napi's own runtime (issue 16).
    ///
    /// The settled value comes as JSON text for `JSON.parse`: one string
    /// instead of an object built field by field through N-API, which cost
    /// more than the validation (issue 16's profile).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn validate<'env>(
        &self,
        env: &'env Env,
        token: Option<String>,
        options: Option<ValidateOptions>,
    ) -> napi::Result<Object<'env>> {
        let (deferred, promise) = env.create_deferred()?;
        self.inner
            .validate_then(request(token, options), move |result| {
                let answer = settle(result.map(|o| outcome_json(&o))).to_string();
                deferred.resolve(move |_env| Ok(answer));
            });
        Ok(promise)
    }

    /// Blocks until the answer is in: for scripts, not for servers.
    #[napi]
    pub fn validate_sync(
        &self,
        token: Option<String>,
        options: Option<ValidateOptions>,
    ) -> napi::Result<Value, String> {
        guarded(|| {
            self.inner
                .validate_blocking(request(token, options))
                .map(|o| outcome_json(&o))
        })
    }

    #[napi]
    pub async fn issue_server_token(&self, action: String, options: Option<IssueOptions>) -> Value {
        let options = options.unwrap_or(IssueOptions {
            binding_ip: None,
            ttl: None,
            max_uses: None,
            bind_uid: None,
        });
        let result = self
            .inner
            .issue_server_token(IssueRequest {
                action,
                binding_ip: options.binding_ip,
                ttl: options.ttl.map(u64::from),
                max_uses: options.max_uses.map(u64::from),
                bind_uid: options.bind_uid,
            })
            .await;
        settle(result.map(|token| server_token_json(&token)))
    }

    /// The widget's HTML; `args` with camelCase widget argument names.
    #[napi]
    pub fn widget(&self, args: Option<Value>) -> napi::Result<String, String> {
        guarded(|| {
            let mut parsed = WidgetArgs::default();
            each_named(args, "widget arguments", |name, value| {
                parsed.set(name, value)
            })?;
            Ok(self.inner.widget(&parsed)?)
        })
    }

    /// `{directive: [sources]}` for the page's CSP.
    #[napi]
    pub fn csp(&self) -> Value {
        Value::Object(
            self.inner
                .csp()
                .into_iter()
                .map(|(directive, sources)| (directive.to_string(), Value::from(sources)))
                .collect(),
        )
    }

    /// What is safe to show about this verifier (no secret), camelCased.
    #[napi]
    pub fn describe(&self) -> Value {
        Value::Object(
            self.inner
                .describe()
                .into_iter()
                .map(|(key, value)| (passgate_core::camel_case(key), Value::String(value)))
                .collect(),
        )
    }
}
