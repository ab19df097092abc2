//! `Passgate::Outcome`: the result of one validation. Every name in
//! `passgate_core::OUTCOME_FIELDS` reads through `field` (one converter);
//! lib/passgate/outcome.rb defines a reader per name, so a new field in the
//! core needs nothing here.

use magnus::{method, prelude::*, Error, IntoValue, RModule, Ruby, TypedData, Value};
use passgate_core::{FieldValue, LogValue, OUTCOME_FIELDS};

#[magnus::wrap(class = "Passgate::Outcome", free_immediately, frozen_shareable)]
pub struct Outcome(passgate_core::Outcome);

fn log_value(ruby: &Ruby, value: LogValue) -> Value {
    match value {
        LogValue::Null => ruby.qnil().as_value(),
        LogValue::Bool(b) => b.into_value_with(ruby),
        LogValue::Int(i) => i.into_value_with(ruby),
        LogValue::Float(f) => f.into_value_with(ruby),
        LogValue::Str(s) => s.into_value_with(ruby),
    }
}

/// The one converter: nested records become Hashes with String keys (a new
/// Hash on every call).
fn field_value(ruby: &Ruby, value: FieldValue) -> Result<Value, Error> {
    match value {
        FieldValue::Value(v) => Ok(log_value(ruby, v)),
        FieldValue::Record(entries) | FieldValue::Data(entries) => {
            let hash = ruby.hash_new();
            for (key, v) in entries {
                hash.aset(key, log_value(ruby, v))?;
            }
            Ok(hash.as_value())
        }
    }
}

impl Outcome {
    pub fn new(inner: passgate_core::Outcome) -> Self {
        Outcome(inner)
    }
    fn field(ruby: &Ruby, rb_self: &Self, name: String) -> Result<Value, Error> {
        match rb_self.0.field(&name) {
            Some(value) => field_value(ruby, value),
            None => Err(Error::new(
                ruby.exception_arg_error(),
                format!("no outcome field {name:?}"),
            )),
        }
    }
    fn message_for(&self, lang: String) -> &'static str {
        self.0.message_for(&lang)
    }
    fn log_line(&self) -> String {
        self.0.log_fields.to_line()
    }
    fn inspect(&self) -> String {
        format!(
            "#<Passgate::Outcome code={:?} ok={} http_status={} provider={:?} token_fingerprint={}>",
            self.0.code.as_str(),
            self.0.ok(),
            self.0.http_status(),
            self.0.provider,
            self.0
                .log_fields
                .token_fingerprint
                .as_deref()
                .map_or("nil".to_string(), |f| format!("{f:?}")),
        )
    }
}

pub fn define(ruby: &Ruby, module: &RModule) -> Result<(), Error> {
    let class = module.define_class("Outcome", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_method("field", method!(Outcome::field, 1))?;
    class.define_method("message_for", method!(Outcome::message_for, 1))?;
    class.define_method("log_line", method!(Outcome::log_line, 0))?;
    class.define_method("inspect", method!(Outcome::inspect, 0))?;
    class.define_method("to_s", method!(Outcome::inspect, 0))?;
    let fields = ruby.ary_from_iter(OUTCOME_FIELDS.iter().map(|k| ruby.str_new(k)));
    fields.freeze();
    class.const_set("FIELDS", fields)?;
    // magnus looks the class up (a Ruby method call) the first time it wraps
    // an Outcome. Done there, right after the GVL comes back, a pending
    // interrupt (Timeout) would run inside that call and magnus would turn
    // it into a fatal error; do the lookup now, while loading.
    let _ = <Outcome as TypedData>::class(ruby);
    Ok(())
}
