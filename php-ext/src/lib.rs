//! The `passgate` PHP extension. Parses PHP arguments into core types, makes
//! one core call, converts the result. The pooled client and runtime live in
//! the process (a whole PHP-FPM worker), not per request.
#![cfg_attr(windows, feature(abi_vectorcall))]

use std::panic::{catch_unwind, AssertUnwindSafe};

use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::zend::ce;

mod ini;
mod outcome;
mod report;
mod verifier;

/// Base class of passgate's exceptions.
#[php_class]
#[php(name = "Passgate\\PassgateException")]
#[php(extends(ce = ce::exception, stub = "\\Exception"))]
#[derive(Default)]
pub struct PassgateException;

/// A bad setting; the message names it.
#[php_class]
#[php(name = "Passgate\\ConfigException")]
#[php(extends(PassgateException))]
#[derive(Default)]
pub struct ConfigException;

/// A bug inside passgate (a caught panic); the worker lives on.
#[php_class]
#[php(name = "Passgate\\InternalException")]
#[php(extends(PassgateException))]
#[derive(Default)]
pub struct InternalException;

/// issueServerToken was refused or the upstream failed.
#[php_class]
#[php(name = "Passgate\\IssueException")]
#[php(extends(PassgateException))]
#[derive(Default)]
pub struct IssueException;

/// The one place a core error becomes a PHP exception.
pub(crate) fn to_php_exception(error: passgate_core::Error) -> PhpException {
    match error {
        passgate_core::Error::Config(e) => {
            PhpException::from_class::<ConfigException>(e.to_string())
        }
        passgate_core::Error::Issue(e) => PhpException::from_class::<IssueException>(e.to_string()),
        passgate_core::Error::Internal(message) => PhpException::from_class::<InternalException>(
            format!("passgate internal error: {message}"),
        ),
    }
}

/// The one place work runs: a panic becomes `InternalException`.
pub(crate) fn guarded<T>(work: impl FnOnce() -> Result<T, passgate_core::Error>) -> PhpResult<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(to_php_exception),
        Err(_) => Err(PhpException::from_class::<InternalException>(
            "passgate internal error: a panic was caught".to_string(),
        )),
    }
}

pub(crate) fn type_error(message: String) -> PhpException {
    PhpException::new(message, 0, ce::type_error())
}

/// `Passgate\widget(['action' => ..., 'nonce' => ...])`: the widget of the
/// verifier the environment configures, for templates (Blade
/// `{!! Passgate\widget([...]) !!}`, Twig through a function).
#[php_function]
#[php(name = "Passgate\\widget")]
pub fn passgate_widget(args: Option<&ext_php_rs::types::ZendHashTable>) -> PhpResult<String> {
    verifier::widget_from_env(args)
}

/// `Passgate\doctor($options, $json, $source)`: checks the configuration a
/// `new Passgate\Verifier($options)` would get (its options, then the
/// environment, then php.ini), the provider's API, the keys, the clock and
/// the replay store. Blocking: each network check is bounded by timeout_ms.
/// The text table, or the JSON when `$json`; never a secret or a token.
/// `$source` labels the options given (a framework's `config/passgate.php`);
/// `argument` when null.
#[php_function]
#[php(name = "Passgate\\doctor")]
#[php(defaults(json = false))]
pub fn passgate_doctor(
    options: Option<&ext_php_rs::types::ZendHashTable>,
    json: bool,
    source: Option<String>,
) -> PhpResult<String> {
    report::doctor(options, json, source)
}

/// `Passgate\metrics()`: this worker's counters (validations by provider and
/// outcome, latency histograms, upstream calls and retries, replay store
/// errors) as an array.
#[php_function]
#[php(name = "Passgate\\metrics")]
pub fn passgate_metrics() -> PhpResult<ext_php_rs::types::Zval> {
    report::metrics()
}

/// `Passgate\metrics_text()`: this worker's counters in the Prometheus text
/// format (0.0.4), every name prefixed `passgate_`.
#[php_function]
#[php(name = "Passgate\\metrics_text")]
pub fn passgate_metrics_text() -> String {
    report::metrics_text()
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .name("passgate")
        .class::<PassgateException>()
        .class::<ConfigException>()
        .class::<InternalException>()
        .class::<IssueException>()
        .class::<outcome::Outcome>()
        .class::<verifier::Verifier>()
        .function(wrap_function!(passgate_widget))
        .function(wrap_function!(passgate_doctor))
        .function(wrap_function!(passgate_metrics))
        .function(wrap_function!(passgate_metrics_text))
        .startup_function(ini::startup)
        .info_function(ini::info)
}
