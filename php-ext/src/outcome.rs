//! `Passgate\Outcome`: the result of one validation. Every name in
//! `passgate_core::OUTCOME_FIELDS`, camelCased, is a read-only property
//! served by `__get` through one converter (`field_zval`); a new field in
//! the core needs nothing here.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ext_php_rs::zend::ce;
use passgate_core::{camel_case, FieldValue, LogValue, OUTCOME_FIELDS};

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

fn php_err(e: ext_php_rs::error::Error) -> PhpException {
    PhpException::from_message(e.to_string())
}

fn log_zval(value: LogValue) -> PhpResult<Zval> {
    let mut zval = Zval::new();
    match value {
        LogValue::Null => zval.set_null(),
        LogValue::Bool(b) => zval.set_bool(b),
        LogValue::Int(i) => zval.set_long(i),
        LogValue::Float(f) => zval.set_double(f),
        LogValue::Str(s) => zval.set_string(&s, false).map_err(php_err)?,
    }
    Ok(zval)
}

fn entries_array(
    entries: Vec<(&'static str, LogValue)>,
    case: fn(&str) -> String,
) -> PhpResult<ZBox<ZendHashTable>> {
    let mut array = ZendHashTable::new();
    for (key, value) in entries {
        array
            .insert(case(key).as_str(), log_zval(value)?)
            .map_err(php_err)?;
    }
    Ok(array)
}

/// The one converter: records get camelCased keys like properties; the log
/// record keeps its snake_case keys (data for log pipelines).
fn field_zval(value: FieldValue) -> PhpResult<Zval> {
    let array = match value {
        FieldValue::Value(v) => return log_zval(v),
        FieldValue::Record(entries) => entries_array(entries, camel_case)?,
        FieldValue::Data(entries) => entries_array(entries, str::to_string)?,
    };
    let mut zval = Zval::new();
    zval.set_hashtable(array);
    Ok(zval)
}

/// The log record as a PHP array (the logger's context).
pub(crate) fn log_array(fields: &passgate_core::LogFields) -> PhpResult<ZBox<ZendHashTable>> {
    entries_array(fields.entries(), str::to_string)
}

/// `httpStatus` → `http_status`, for the names in `OUTCOME_FIELDS` only.
fn field_name(property: &str) -> Option<&'static str> {
    OUTCOME_FIELDS
        .into_iter()
        .find(|name| camel_case(name) == property)
}

#[php_impl]
impl Outcome {
    /// `$outcome->ok`, `->code`, `->httpStatus`, `->logFields`, …
    pub fn __get(&self, name: &str) -> PhpResult<Zval> {
        match field_name(name).and_then(|field| self.inner.field(field)) {
            Some(value) => field_zval(value),
            None => Err(PhpException::new(
                format!("Undefined property: Passgate\\Outcome::${name}"),
                0,
                ce::error(),
            )),
        }
    }
    pub fn __isset(&self, name: &str) -> bool {
        field_name(name).is_some()
    }
    /// The user-safe message in a language (en, zh-CN, zh-TW, ja, ko, es, fr, de).
    pub fn message_for(&self, lang: String) -> &'static str {
        self.inner.message_for(&lang)
    }
    /// Every property as an array.
    pub fn to_array(&self) -> PhpResult<ZBox<ZendHashTable>> {
        let mut array = ZendHashTable::new();
        for (name, value) in self.inner.fields() {
            array
                .insert(camel_case(name).as_str(), field_zval(value)?)
                .map_err(php_err)?;
        }
        Ok(array)
    }
    /// What var_dump/print_r show: every property (never a secret or token).
    pub fn __debug_info(&self) -> PhpResult<ZBox<ZendHashTable>> {
        self.to_array()
    }
}
