//! `Passgate\Outcome`: the result of one validation; read-only properties.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use passgate_core::LogValue;

#[php_class]
#[php(name = "Passgate\\Outcome")]
pub struct Outcome {
    inner: passgate_core::Outcome,
}

impl Outcome {
    pub fn new(inner: passgate_core::Outcome) -> Self {
        Outcome { inner }
    }
}

pub(crate) fn log_array(fields: &passgate_core::LogFields) -> PhpResult<ZBox<ZendHashTable>> {
    let mut array = ZendHashTable::new();
    for (key, value) in fields.entries() {
        let inserted = match value {
            LogValue::Null => array.insert(key, ()),
            LogValue::Bool(b) => array.insert(key, b),
            LogValue::Int(i) => array.insert(key, i),
            LogValue::Float(f) => array.insert(key, f),
            LogValue::Str(s) => array.insert(key, s),
        };
        inserted.map_err(|e| PhpException::from_message(e.to_string()))?;
    }
    Ok(array)
}

#[php_impl]
impl Outcome {
    #[php(getter)]
    pub fn get_ok(&self) -> bool {
        self.inner.ok()
    }
    #[php(getter)]
    pub fn get_code(&self) -> &'static str {
        self.inner.code.as_str()
    }
    #[php(getter)]
    pub fn get_category(&self) -> &'static str {
        self.inner.category().as_str()
    }
    #[php(getter)]
    pub fn get_retryable(&self) -> bool {
        self.inner.retryable()
    }
    #[php(getter)]
    pub fn get_http_status(&self) -> i64 {
        i64::from(self.inner.http_status())
    }
    #[php(getter)]
    pub fn get_message(&self) -> &'static str {
        self.inner.message()
    }
    #[php(getter)]
    pub fn get_upstream_error(&self) -> Option<String> {
        self.inner.upstream_error.clone()
    }
    #[php(getter)]
    pub fn get_token_type(&self) -> Option<&'static str> {
        self.inner.token_type.map(|t| t.as_str())
    }
    #[php(getter)]
    pub fn get_token_age_ms(&self) -> Option<i64> {
        self.inner.token_age_ms
    }
    #[php(getter)]
    pub fn get_challenge_id(&self) -> Option<String> {
        self.inner.challenge_id.clone()
    }
    #[php(getter)]
    pub fn get_action(&self) -> Option<String> {
        self.inner.action.clone()
    }
    #[php(getter)]
    pub fn get_uid(&self) -> Option<String> {
        self.inner.uid.clone()
    }
    #[php(getter)]
    pub fn get_risk_score(&self) -> Option<i64> {
        self.inner.risk_score
    }
    /// The log record: an array with the DESIGN snake_case keys.
    #[php(getter)]
    pub fn get_log_fields(&self) -> PhpResult<ZBox<ZendHashTable>> {
        log_array(&self.inner.log_fields)
    }
    /// The user-safe message in a language (en, zh-CN, zh-TW, ja, ko, es, fr, de).
    pub fn message_for(&self, lang: String) -> &'static str {
        self.inner.message_for(&lang)
    }
    /// Every property as an array.
    pub fn to_array(&self) -> PhpResult<ZBox<ZendHashTable>> {
        let o = &self.inner;
        let mut array = ZendHashTable::new();
        let err = |e: ext_php_rs::error::Error| PhpException::from_message(e.to_string());
        array.insert("ok", o.ok()).map_err(err)?;
        array.insert("code", o.code.as_str()).map_err(err)?;
        array
            .insert("category", o.category().as_str())
            .map_err(err)?;
        array.insert("retryable", o.retryable()).map_err(err)?;
        array
            .insert("httpStatus", i64::from(o.http_status()))
            .map_err(err)?;
        array.insert("message", o.message()).map_err(err)?;
        array
            .insert("upstreamError", o.upstream_error.clone())
            .map_err(err)?;
        array
            .insert("tokenType", o.token_type.map(|t| t.as_str()))
            .map_err(err)?;
        array.insert("tokenAgeMs", o.token_age_ms).map_err(err)?;
        array
            .insert("challengeId", o.challenge_id.clone())
            .map_err(err)?;
        array.insert("action", o.action.clone()).map_err(err)?;
        array.insert("uid", o.uid.clone()).map_err(err)?;
        array.insert("riskScore", o.risk_score).map_err(err)?;
        array
            .insert("logFields", log_array(&o.log_fields)?)
            .map_err(err)?;
        Ok(array)
    }
}
