//! `Passgate::Outcome`: the result of one validation.

use magnus::{method, prelude::*, Error, IntoValue, RHash, RModule, Ruby, TypedData, Value};
use passgate_core::LogValue;

#[magnus::wrap(class = "Passgate::Outcome", free_immediately, frozen_shareable)]
pub struct Outcome(passgate_core::Outcome);

impl Outcome {
    pub fn new(inner: passgate_core::Outcome) -> Self {
        Outcome(inner)
    }
    fn ok(&self) -> bool {
        self.0.ok()
    }
    fn code(&self) -> &'static str {
        self.0.code.as_str()
    }
    fn category(&self) -> &'static str {
        self.0.category().as_str()
    }
    fn retryable(&self) -> bool {
        self.0.retryable()
    }
    fn http_status(&self) -> u16 {
        self.0.http_status()
    }
    fn message(&self) -> &'static str {
        self.0.message()
    }
    fn message_for(&self, lang: String) -> &'static str {
        self.0.message_for(&lang)
    }
    fn upstream_error(&self) -> Option<String> {
        self.0.upstream_error.clone()
    }
    fn token_type(&self) -> Option<&'static str> {
        self.0.token_type.map(|t| t.as_str())
    }
    fn token_age_ms(&self) -> Option<i64> {
        self.0.token_age_ms
    }
    fn challenge_id(&self) -> Option<String> {
        self.0.challenge_id.clone()
    }
    fn action(&self) -> Option<String> {
        self.0.action.clone()
    }
    fn uid(&self) -> Option<String> {
        self.0.uid.clone()
    }
    fn risk_score(&self) -> Option<i64> {
        self.0.risk_score
    }
    fn captcha_args(ruby: &Ruby, rb_self: &Self) -> Result<Option<RHash>, Error> {
        let Some(args) = &rb_self.0.captcha_args else {
            return Ok(None);
        };
        let hash = ruby.hash_new();
        hash.aset("platform", args.platform.clone())?;
        hash.aset("user_ip", args.user_ip.clone())?;
        hash.aset("referer", args.referer.clone())?;
        hash.aset("pkg", args.pkg.clone())?;
        hash.aset("solved_at", args.solved_at)?;
        hash.aset("risk_score", args.risk_score)?;
        Ok(Some(hash))
    }
    /// The log record as a Hash with String keys (a new Hash each call).
    fn log_fields(ruby: &Ruby, rb_self: &Self) -> Result<RHash, Error> {
        let hash = ruby.hash_new();
        for (key, value) in rb_self.0.log_fields.entries() {
            let value: Value = match value {
                LogValue::Null => ruby.qnil().as_value(),
                LogValue::Bool(b) => b.into_value_with(ruby),
                LogValue::Int(i) => i.into_value_with(ruby),
                LogValue::Float(f) => f.into_value_with(ruby),
                LogValue::Str(s) => s.into_value_with(ruby),
            };
            hash.aset(key, value)?;
        }
        Ok(hash)
    }
    fn log_line(&self) -> String {
        self.0.log_fields.to_line()
    }
    fn inspect(&self) -> String {
        format!(
            "#<Passgate::Outcome code={:?} ok={} http_status={} token_fingerprint={}>",
            self.0.code.as_str(),
            self.0.ok(),
            self.0.http_status(),
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
    class.define_method("ok?", method!(Outcome::ok, 0))?;
    class.define_method("code", method!(Outcome::code, 0))?;
    class.define_method("category", method!(Outcome::category, 0))?;
    class.define_method("retryable?", method!(Outcome::retryable, 0))?;
    class.define_method("http_status", method!(Outcome::http_status, 0))?;
    class.define_method("message", method!(Outcome::message, 0))?;
    class.define_method("message_for", method!(Outcome::message_for, 1))?;
    class.define_method("upstream_error", method!(Outcome::upstream_error, 0))?;
    class.define_method("token_type", method!(Outcome::token_type, 0))?;
    class.define_method("token_age_ms", method!(Outcome::token_age_ms, 0))?;
    class.define_method("challenge_id", method!(Outcome::challenge_id, 0))?;
    class.define_method("action", method!(Outcome::action, 0))?;
    class.define_method("uid", method!(Outcome::uid, 0))?;
    class.define_method("risk_score", method!(Outcome::risk_score, 0))?;
    class.define_method("captcha_args", method!(Outcome::captcha_args, 0))?;
    class.define_method("log_fields", method!(Outcome::log_fields, 0))?;
    class.define_method("log_line", method!(Outcome::log_line, 0))?;
    class.define_method("inspect", method!(Outcome::inspect, 0))?;
    class.define_method("to_s", method!(Outcome::inspect, 0))?;
    // magnus looks the class up (a Ruby method call) the first time it wraps
    // an Outcome. Done there, right after the GVL comes back, a pending
    // interrupt (Timeout) would run inside that call and magnus would turn
    // it into a fatal error; do the lookup now, while loading.
    let _ = <Outcome as TypedData>::class(ruby);
    Ok(())
}
