//! `Passgate::NativeVerifier`: wrapped by the Ruby `Passgate::Verifier`.

use magnus::{
    function, method, prelude::*, r_hash::ForEach, Error, RHash, RModule, RString, Ruby, TypedData,
    Value,
};
use passgate_core::{
    Config, ConfigError, IssueRequest, OptionValue, Options, ValidateRequest, WidgetArgs,
};

use crate::nogvl::without_gvl;
use crate::outcome::Outcome;
use crate::to_ruby_error;

#[magnus::wrap(class = "Passgate::NativeVerifier", free_immediately)]
pub struct NativeVerifier(passgate_core::Verifier);

fn option_value(ruby: &Ruby, name: &str, value: Value) -> Result<OptionValue, Error> {
    if value.is_nil() {
        Ok(OptionValue::Null)
    } else if value.is_kind_of(ruby.class_true_class()) {
        Ok(OptionValue::Bool(true))
    } else if value.is_kind_of(ruby.class_false_class()) {
        Ok(OptionValue::Bool(false))
    } else if value.is_kind_of(ruby.class_integer()) {
        i64::try_convert(value)
            .map(OptionValue::Int)
            .map_err(|_| to_ruby_error(ruby, ConfigError::new(name, "out of range").into()))
    } else if value.is_kind_of(ruby.class_float()) {
        Ok(OptionValue::Float(f64::try_convert(value)?))
    } else if let Some(text) = RString::from_value(value) {
        Ok(OptionValue::Str(text.to_string()?))
    } else if let Some(items) = magnus::RArray::from_value(value) {
        items
            .to_vec::<String>()
            .map(OptionValue::List)
            .map_err(|_| {
                to_ruby_error(
                    ruby,
                    ConfigError::new(name, "expected an Array of Strings").into(),
                )
            })
    } else {
        let kind = unsafe { value.classname() }.into_owned();
        Err(to_ruby_error(
            ruby,
            ConfigError::new(
                name,
                format!(
                    "expected a String, Integer, Float, true, false, an Array of Strings or nil, got {kind}"
                ),
            )
            .into(),
        ))
    }
}

/// `nil` or a String; anything else is a TypeError. Bytes that are not
/// UTF-8 are kept lossily, so they become `malformed_token`.
fn token_arg(ruby: &Ruby, token: Value) -> Result<Option<String>, Error> {
    if token.is_nil() {
        return Ok(None);
    }
    let Some(text) = RString::from_value(token) else {
        let kind = unsafe { token.classname() }.into_owned();
        return Err(Error::new(
            ruby.exception_type_error(),
            format!("token must be a String or nil, not {kind}"),
        ));
    };
    // SAFETY: the bytes are copied before any other Ruby call.
    Ok(Some(
        String::from_utf8_lossy(unsafe { text.as_slice() }).into_owned(),
    ))
}

fn optional_string(value: Option<RString>) -> Result<Option<String>, Error> {
    value.map(|s| s.to_string()).transpose()
}

/// Feed a Ruby Hash (Symbol or String keys) to `set` by name.
pub(crate) fn each_named(
    ruby: &Ruby,
    hash: RHash,
    mut set: impl FnMut(&str, OptionValue) -> Result<(), ConfigError>,
) -> Result<(), Error> {
    let mut failure = None;
    hash.foreach(|key: Value, value: Value| {
        let name = if let Some(symbol) = magnus::Symbol::from_value(key) {
            symbol.name()?.into_owned()
        } else {
            key.to_r_string()?.to_string()?
        };
        let result = option_value(ruby, &name, value)
            .and_then(|value| set(&name, value).map_err(|e| to_ruby_error(ruby, e.into())));
        match result {
            Ok(()) => Ok(ForEach::Continue),
            Err(e) => {
                failure = Some(e);
                Ok(ForEach::Stop)
            }
        }
    })?;
    failure.map_or(Ok(()), Err)
}

impl NativeVerifier {
    fn new(ruby: &Ruby, options: RHash) -> Result<Self, Error> {
        let mut parsed = Options::default();
        each_named(ruby, options, |name, value| parsed.set(name, value))?;
        let config = Config::from_options(parsed).map_err(|e| to_ruby_error(ruby, e.into()))?;
        Ok(NativeVerifier(passgate_core::Verifier::from_config(config)))
    }

    /// The widget's HTML from `action:`, `nonce:`, `cdata:`, `server_token:`,
    /// `lang:`.
    fn widget(ruby: &Ruby, rb_self: &Self, args: RHash) -> Result<String, Error> {
        let mut parsed = WidgetArgs::default();
        each_named(ruby, args, |name, value| parsed.set(name, value))?;
        rb_self
            .0
            .widget(&parsed)
            .map_err(|e| to_ruby_error(ruby, e.into()))
    }

    /// `{directive => [sources]}` for the page's CSP.
    fn csp(ruby: &Ruby, rb_self: &Self) -> Result<RHash, Error> {
        let hash = ruby.hash_new();
        for (directive, sources) in rb_self.0.csp() {
            hash.aset(directive, sources)?;
        }
        Ok(hash)
    }

    fn validate(
        ruby: &Ruby,
        rb_self: &Self,
        token: Value,
        client_ip: Option<RString>,
        action: Option<RString>,
        uid: Option<RString>,
        keep_token: bool,
    ) -> Result<Outcome, Error> {
        let request = ValidateRequest {
            token: token_arg(ruby, token)?,
            client_ip: optional_string(client_ip)?,
            action: optional_string(action)?,
            uid: optional_string(uid)?,
            keep_token,
        };
        match without_gvl(ruby, rb_self.0.validate(request))? {
            Ok(outcome) => Ok(Outcome::new(outcome)),
            Err(error) => Err(to_ruby_error(ruby, error)),
        }
    }

    /// `[server_token, expires_in, issued_at]`, or raises Passgate::IssueError.
    fn issue_server_token(
        ruby: &Ruby,
        rb_self: &Self,
        action: RString,
        binding_ip: Option<RString>,
        ttl: Option<u64>,
        max_uses: Option<u64>,
        bind_uid: Option<RString>,
    ) -> Result<(String, Option<i64>, Option<i64>), Error> {
        let request = IssueRequest {
            action: action.to_string()?,
            binding_ip: optional_string(binding_ip)?,
            ttl,
            max_uses,
            bind_uid: optional_string(bind_uid)?,
        };
        match without_gvl(ruby, rb_self.0.issue_server_token(request))? {
            Ok(token) => Ok((token.server_token, token.expires_in, token.issued_at)),
            Err(error) => Err(to_ruby_error(ruby, error)),
        }
    }

    /// What is safe to show about this verifier (no secret).
    fn describe(ruby: &Ruby, rb_self: &Self) -> Result<RHash, Error> {
        let hash = ruby.hash_new();
        for (key, value) in rb_self.0.describe() {
            hash.aset(key, value)?;
        }
        Ok(hash)
    }
}

pub fn define(ruby: &Ruby, module: &RModule) -> Result<(), Error> {
    let class = module.define_class("NativeVerifier", ruby.class_object())?;
    class.define_singleton_method("new", function!(NativeVerifier::new, 1))?;
    class.define_method("validate", method!(NativeVerifier::validate, 5))?;
    class.define_method(
        "issue_server_token",
        method!(NativeVerifier::issue_server_token, 5),
    )?;
    class.define_method("describe", method!(NativeVerifier::describe, 0))?;
    class.define_method("widget", method!(NativeVerifier::widget, 1))?;
    class.define_method("csp", method!(NativeVerifier::csp, 0))?;
    // As for Outcome: the class lookup magnus does on the first wrap must
    // not be where an interrupt lands.
    let _ = <NativeVerifier as TypedData>::class(ruby);
    Ok(())
}
