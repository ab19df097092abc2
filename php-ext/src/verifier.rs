//! `Passgate\Verifier`: options array in, `Passgate\Outcome` out.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ArrayKey, ZendClassObject, ZendHashTable, Zval};
use ext_php_rs::zend::ExecutorGlobals;
use passgate_core::{
    Config, ConfigError, IssueRequest, OptionValue, Options, ValidateRequest, WidgetArgs,
};

use crate::outcome::{log_array, Outcome};

use crate::{guarded, to_php_exception, type_error};

#[php_class]
#[php(name = "Passgate\\Verifier")]
pub struct Verifier {
    inner: passgate_core::Verifier,
    /// A callable `fn(string $level, string $message, array $context)` or a
    /// PSR-3 style object with info()/warning().
    logger: Option<Zval>,
    /// A callable given each `Passgate\Outcome` after its log record.
    on_outcome: Option<Zval>,
    /// Where each setting came from: argument, environment or php.ini.
    sources: crate::ini::Sources,
}

fn config_error(setting: &str, message: &str) -> PhpException {
    to_php_exception(ConfigError::new(setting, message).into())
}

fn option_value(name: &str, value: &Zval) -> PhpResult<OptionValue> {
    if value.is_null() {
        Ok(OptionValue::Null)
    } else if let Some(b) = value.bool().filter(|_| value.is_bool()) {
        Ok(OptionValue::Bool(b))
    } else if let Some(i) = value.long() {
        Ok(OptionValue::Int(i))
    } else if let Some(f) = value.double() {
        Ok(OptionValue::Float(f))
    } else if let Some(s) = value.str() {
        Ok(OptionValue::Str(s.to_string()))
    } else if let Some(array) = value.array() {
        array
            .values()
            .map(|item| item.str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(OptionValue::List)
            .ok_or_else(|| config_error(name, "expected an array of strings"))
    } else {
        Err(config_error(
            name,
            "expected a string, int, float, bool, an array of strings or null",
        ))
    }
}

/// A PHP string as Rust text (the core refuses what is not printable ASCII);
/// None for any other type.
fn text(value: &Zval) -> Option<String> {
    value
        .zend_str()
        .map(|s| String::from_utf8_lossy(s.as_bytes()).into_owned())
}

/// A string or null; anything else is a TypeError.
fn string_arg(what: &str, value: Option<&Zval>) -> PhpResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => text(v).map(Some).ok_or_else(|| {
            type_error(format!(
                "passgate: {what} must be a string or null, {} given",
                php_type(v)
            ))
        }),
    }
}

/// The token is request input, not a programmer's argument: PHP's form
/// parser makes `captchala_token[]=...` an array and a JSON body can hold
/// anything, so `validate($_POST['captchala_token'] ?? null)` must not throw.
/// Whatever is not a string is no token; the core answers `missing_token`.
fn token_arg(value: &Zval) -> Option<String> {
    text(value)
}

/// The PHP name of a value's type, for error messages.
fn php_type(value: &Zval) -> &'static str {
    if value.is_bool() {
        "bool"
    } else if value.is_long() {
        "int"
    } else if value.is_double() {
        "float"
    } else if value.is_array() {
        "array"
    } else if value.is_object() {
        "object"
    } else {
        "value"
    }
}

fn uint_arg(what: &str, value: Option<&Zval>) -> PhpResult<Option<u64>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => match v.long() {
            Some(n) if n >= 0 => Ok(Some(n as u64)),
            _ => Err(type_error(format!(
                "passgate: {what} must be a non-negative int"
            ))),
        },
    }
}

/// The constructor's array: the core's options, and the two that are PHP
/// values rather than settings.
pub(crate) struct Given {
    pub options: Options,
    logger: Option<Zval>,
    on_outcome: Option<Zval>,
}

pub(crate) fn parse(options: Option<&ZendHashTable>) -> PhpResult<Given> {
    let mut given = Given {
        options: Options::default(),
        logger: None,
        on_outcome: None,
    };
    for (key, value) in options.into_iter().flat_map(|array| array.iter()) {
        let name = match key {
            ArrayKey::Long(index) => {
                return Err(config_error(
                    &index.to_string(),
                    "option names must be strings",
                ))
            }
            other => other.to_string(),
        };
        if name == "logger" {
            if !value.is_null() {
                let usable = value.is_callable() || value.object().is_some();
                if !usable {
                    return Err(config_error(
                        "logger",
                        "must be a callable or an object with info() and warning()",
                    ));
                }
                given.logger = Some(value.shallow_clone());
            }
            continue;
        }
        if name == "on_outcome" {
            if !value.is_null() {
                if !value.is_callable() {
                    return Err(config_error(
                        "on_outcome",
                        "must be a callable taking a Passgate\\Outcome",
                    ));
                }
                given.on_outcome = Some(value.shallow_clone());
            }
            continue;
        }
        let option = option_value(&name, value)?;
        given
            .options
            .set(&name, option)
            .map_err(|e| to_php_exception(e.into()))?;
    }
    Ok(given)
}

fn build(options: Option<&ZendHashTable>) -> PhpResult<Verifier> {
    let given = parse(options)?;
    // Not given: the environment, then php.ini (passgate.<option>).
    let (filled, sources) =
        crate::ini::fill(given.options).map_err(|e| to_php_exception(e.into()))?;
    let config = guarded(|| Ok(Config::resolve(filled)?))?;
    Ok(Verifier {
        // PHP objects live for one request; the worker-wide verifier keeps
        // the replay store (and its pooled connections) for the whole worker.
        inner: passgate_core::Verifier::shared(config),
        logger: given.logger,
        on_outcome: given.on_outcome,
        sources,
    })
}

#[php_impl]
impl Verifier {
    /// `new Passgate\Verifier(['app_key' => ..., 'app_secret' => ..., ...])`; anything
    /// not given is read from the environment.
    pub fn __construct(options: Option<&ZendHashTable>) -> PhpResult<Self> {
        build(options)
    }

    /// Everything from the environment (PASSGATE_PROVIDER, CAPTCHALA_APP_KEY,
    /// PASSGATE_SECRET_KEY, PASSGATE_*).
    pub fn from_env() -> PhpResult<Self> {
        build(None)
    }

    /// Validate a token; `$opts` takes client_ip, action, uid, keep_token.
    /// Never throws for a bad token (of any type) or a failing upstream.
    pub fn validate(
        &self,
        token: &Zval,
        opts: Option<&ZendHashTable>,
    ) -> PhpResult<ZBox<ZendClassObject<Outcome>>> {
        let get = |key: &str| opts.and_then(|o| o.get(key));
        let request = ValidateRequest {
            token: token_arg(token),
            client_ip: string_arg("client_ip", get("client_ip"))?,
            action: string_arg("action", get("action"))?,
            uid: string_arg("uid", get("uid"))?,
            keep_token: get("keep_token").and_then(Zval::bool).unwrap_or(false),
        };
        let outcome = guarded(|| self.inner.validate_blocking(request))?;
        self.log(&outcome)?;
        // One object, handed to on_outcome and then returned.
        let mut object = ZendClassObject::new(Outcome::new(outcome));
        self.notify(&mut object)?;
        Ok(object)
    }

    /// Issue a server token; `$opts` takes binding_ip, ttl, max_uses, bind_uid.
    /// Returns ['server_token' => ..., 'expires_in' => ..., 'issued_at' => ...].
    pub fn issue_server_token(
        &self,
        action: String,
        opts: Option<&ZendHashTable>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let get = |key: &str| opts.and_then(|o| o.get(key));
        let request = IssueRequest {
            action,
            binding_ip: string_arg("binding_ip", get("binding_ip"))?,
            ttl: uint_arg("ttl", get("ttl"))?,
            max_uses: uint_arg("max_uses", get("max_uses"))?,
            bind_uid: string_arg("bind_uid", get("bind_uid"))?,
        };
        let token = guarded(|| self.inner.issue_server_token_blocking(request))?;
        let mut array = ZendHashTable::new();
        let err = |e: ext_php_rs::error::Error| PhpException::from_message(e.to_string());
        array
            .insert("server_token", token.server_token)
            .map_err(err)?;
        array.insert("expires_in", token.expires_in).map_err(err)?;
        array.insert("issued_at", token.issued_at).map_err(err)?;
        Ok(array)
    }

    /// `captchala`, `recaptcha`, `hcaptcha` or `turnstile`.
    pub fn provider(&self) -> &'static str {
        self.inner.config().provider.as_str()
    }

    /// The form field the provider's widget posts the token in.
    pub fn form_field(&self) -> &'static str {
        self.inner.form_field()
    }

    /// The widget's HTML; `$args` takes action, nonce, cdata, server_token,
    /// lang. Throws `Passgate\ConfigError` naming a bad argument.
    pub fn widget(&self, args: Option<&ZendHashTable>) -> PhpResult<String> {
        let mut parsed = WidgetArgs::default();
        for (key, value) in args.into_iter().flat_map(|array| array.iter()) {
            let name = key.to_string();
            parsed
                .set(&name, option_value(&name, value)?)
                .map_err(|e| to_php_exception(e.into()))?;
        }
        self.inner
            .widget(&parsed)
            .map_err(|e| to_php_exception(e.into()))
    }

    /// `['script-src' => [...], ...]`: the sources the widget needs in the
    /// page's Content Security Policy.
    pub fn csp(&self) -> PhpResult<ZBox<ZendHashTable>> {
        let err = |e: ext_php_rs::error::Error| PhpException::from_message(e.to_string());
        let mut array = ZendHashTable::new();
        for (directive, sources) in self.inner.csp() {
            array.insert(directive, sources).map_err(err)?;
        }
        Ok(array)
    }

    /// What var_dump/print_r show: never the secret.
    pub fn __debug_info(&self) -> PhpResult<ZBox<ZendHashTable>> {
        let err = |e: ext_php_rs::error::Error| PhpException::from_message(e.to_string());
        let mut array = ZendHashTable::new();
        for (key, value) in self.inner.describe() {
            array.insert(key, value).map_err(err)?;
        }
        // Which settings came from the environment and which from php.ini
        // (names only: a value may be a secret).
        let mut sources = ZendHashTable::new();
        for (name, source) in &self.sources {
            sources.insert(*name, *source).map_err(err)?;
        }
        array.insert("settings_from", sources).map_err(err)?;
        Ok(array)
    }
}

/// The widget of the verifier the environment configures (one per worker).
pub(crate) fn widget_from_env(args: Option<&ZendHashTable>) -> PhpResult<String> {
    build(None)?.widget(args)
}

impl Verifier {
    fn log(&self, outcome: &passgate_core::Outcome) -> PhpResult<()> {
        let Some(logger) = &self.logger else {
            return Ok(());
        };
        let level = if outcome.ok() { "info" } else { "warning" };
        let message = outcome.log_fields.summary();
        let context = log_array(&outcome.log_fields)?;
        let result = if logger.is_callable() {
            logger.try_call(vec![&level, &message, &context])
        } else {
            logger.try_call_method(level, vec![&message, &context])
        };
        // A logger that throws leaves its exception pending for the caller.
        result
            .map(|_| ())
            .map_err(|e| PhpException::from_message(format!("passgate: the logger failed: {e}")))
    }
}

impl Verifier {
    /// Calls on_outcome with the outcome. What it throws is taken, logged
    /// (class and message) and dropped: the caller gets its outcome.
    fn notify(&self, outcome: &mut ZendClassObject<Outcome>) -> PhpResult<()> {
        let Some(callback) = &self.on_outcome else {
            return Ok(());
        };
        let mut argument = Zval::new();
        argument.set_object(&mut outcome.std);
        let failure = match callback.try_call(vec![&argument]) {
            Ok(_) => return Ok(()),
            Err(error) => match ExecutorGlobals::take_exception() {
                Some(exception) => {
                    let class = exception
                        .get_class_name()
                        .unwrap_or_else(|_| "Throwable".into());
                    let message = exception
                        .try_call_method("getMessage", vec![])
                        .ok()
                        .and_then(|m| m.string())
                        .unwrap_or_default();
                    (class, message)
                }
                None => ("Error".into(), error.to_string()),
            },
        };
        self.log_callback_failure(failure)
    }

    /// To the logger at error level (`warning()` for an object without
    /// `error()`), else to PHP's error_log. Never as a PHP warning: an error
    /// handler (Laravel's, Symfony's) would make it an exception again.
    fn log_callback_failure(&self, (class, message): (String, String)) -> PhpResult<()> {
        let text = format!("passgate: on_outcome threw {class}: {message}");
        let fail = |e: ext_php_rs::error::Error| {
            PhpException::from_message(format!("passgate: the logger failed: {e}"))
        };
        let Some(logger) = &self.logger else {
            let error_log =
                ext_php_rs::types::ZendCallable::try_from_name("error_log").map_err(fail)?;
            return error_log.try_call(vec![&text]).map(|_| ()).map_err(fail);
        };
        let mut context = ZendHashTable::new();
        context.insert("exception_class", class).map_err(fail)?;
        context.insert("exception_message", message).map_err(fail)?;
        let result = if logger.is_callable() {
            logger.try_call(vec![&"error", &text, &context])
        } else {
            match logger.try_call_method("error", vec![&text, &context]) {
                Err(ext_php_rs::error::Error::Callable) => {
                    logger.try_call_method("warning", vec![&text, &context])
                }
                other => other,
            }
        };
        result.map(|_| ()).map_err(fail)
    }
}
