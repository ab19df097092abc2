//! `passgate_native`: the Ruby binding. Parses Ruby arguments into core
//! types, makes one core call with the GVL released, converts the result.
//! The public API (keyword arguments, logging, Rails, Rack) is in lib/.

use std::sync::OnceLock;

use magnus::value::{InnerValue, Opaque};
use magnus::{function, prelude::*, Error, ExceptionClass, Ruby};

mod doctor;
mod nogvl;
mod outcome;
mod verifier;

struct Errors {
    config: Opaque<ExceptionClass>,
    internal: Opaque<ExceptionClass>,
    issue: Opaque<ExceptionClass>,
}

static ERRORS: OnceLock<Errors> = OnceLock::new();

/// The one place a core error becomes a Ruby exception.
pub(crate) fn to_ruby_error(ruby: &Ruby, error: passgate_core::Error) -> Error {
    let Some(errors) = ERRORS.get() else {
        return Error::new(ruby.exception_runtime_error(), error.to_string());
    };
    match error {
        passgate_core::Error::Config(e) => {
            Error::new(errors.config.get_inner_with(ruby), e.to_string())
        }
        passgate_core::Error::Issue(failure) => {
            Error::new(errors.issue.get_inner_with(ruby), failure.to_string())
        }
        passgate_core::Error::Internal(message) => Error::new(
            errors.internal.get_inner_with(ruby),
            format!("passgate internal error: {message}"),
        ),
    }
}

pub(crate) fn internal_error(ruby: &Ruby, message: &str) -> Error {
    to_ruby_error(ruby, passgate_core::Error::Internal(message.to_string()))
}

#[magnus::init(name = "passgate_native")]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let module = ruby.define_module("Passgate")?;
    let base = module.define_error("Error", ruby.exception_standard_error())?;
    let config = module.define_error("ConfigError", base)?;
    let internal = module.define_error("InternalError", base)?;
    let issue = module.define_error("IssueError", base)?;
    let _ = ERRORS.set(Errors {
        config: Opaque::from(config),
        internal: Opaque::from(internal),
        issue: Opaque::from(issue),
    });
    outcome::define(ruby, &module)?;
    verifier::define(ruby, &module)?;
    doctor::define(&module)?;
    let keys = ruby.ary_from_iter(passgate_core::LOG_KEYS.iter().map(|k| ruby.str_new(k)));
    keys.freeze();
    module.const_set("LOG_KEYS", keys)?;
    let codes = ruby.ary_from_iter(
        passgate_core::OutcomeCode::ALL
            .iter()
            .map(|c| ruby.str_new(c.as_str())),
    );
    codes.freeze();
    module.const_set("OUTCOME_CODES", codes)?;
    let names = ruby.ary_from_iter(passgate_core::OPTION_NAMES.iter().map(|n| ruby.str_new(n)));
    names.freeze();
    module.const_set("OPTION_NAMES", names)?;
    let safe = ruby.ary_from_iter(passgate_core::SAFE_METHODS.iter().map(|m| ruby.str_new(m)));
    safe.freeze();
    module.const_set("SAFE_METHODS", safe)?;
    // Every provider's form field (Rails keeps them out of its logs).
    let fields = ruby.ary_from_iter(
        passgate_core::ProviderKind::ALL
            .iter()
            .map(|p| ruby.str_new(p.form_field())),
    );
    fields.freeze();
    module.const_set("FORM_FIELDS", fields)?;
    module.define_module_function("wants_json?", function!(wants_json, 3))?;
    module.define_module_function("failure_page", function!(failure_page, 2))?;
    module.define_module_function("preferred_language", function!(preferred_language, 1))?;
    Ok(())
}

/// Whether a failed request should get JSON (framework helpers).
fn wants_json(accept: String, content_type: String, requested_with: String) -> bool {
    passgate_core::wants_json(&accept, &content_type, &requested_with)
}

/// The language an Accept-Language header prefers (else `en`).
fn preferred_language(accept_language: String) -> String {
    passgate_core::preferred_language(&accept_language)
}

/// The HTML failure page for a (translated) message.
fn failure_page(message: String, lang: String) -> String {
    passgate_core::failure_page(&message, &lang)
}
