//! `Passgate\doctor()`, `Passgate\metrics()` and `Passgate\metrics_text()`:
//! the core's checks and counters, converted. The sources of the doctor's
//! settings are the constructor's: argument, environment, then php.ini.

use ext_php_rs::exception::{PhpException, PhpResult};
use ext_php_rs::types::{ZendHashTable, Zval};
use passgate_core::{doctor, metrics};
use serde_json::Value;

use crate::{guarded, to_php_exception};

fn php_err(e: ext_php_rs::error::Error) -> PhpException {
    PhpException::from_message(e.to_string())
}

/// JSON as PHP values: objects become string-keyed arrays, arrays lists.
fn json_zval(value: &Value) -> PhpResult<Zval> {
    let mut zval = Zval::new();
    match value {
        Value::Null => zval.set_null(),
        Value::Bool(b) => zval.set_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => zval.set_long(i),
            None => zval.set_double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => zval.set_string(s, false).map_err(php_err)?,
        Value::Array(items) => {
            let mut array = ZendHashTable::new();
            for item in items {
                array.push(json_zval(item)?).map_err(php_err)?;
            }
            zval.set_hashtable(array);
        }
        Value::Object(entries) => {
            let mut array = ZendHashTable::new();
            for (key, item) in entries {
                array
                    .insert(key.as_str(), json_zval(item)?)
                    .map_err(php_err)?;
            }
            zval.set_hashtable(array);
        }
    }
    Ok(zval)
}

/// `Passgate\doctor()`: the checks of the configuration a
/// `new Passgate\Verifier($options)` would get.
pub fn doctor(
    options: Option<&ZendHashTable>,
    json: bool,
    source: Option<String>,
) -> PhpResult<String> {
    // logger and on_outcome are accepted (a framework's options array holds
    // them) and play no part in the checks.
    let given = crate::verifier::parse(options)?;
    // The environment is left for the core to read: a bad value there is a
    // failed check. A bad php.ini entry is a ConfigException naming it.
    let (options, sources) =
        crate::ini::gather(given.options).map_err(|e| to_php_exception(e.into()))?;
    let input = doctor::Input {
        options,
        sources: sources
            .into_iter()
            .map(|(name, from)| match (from, &source) {
                ("argument", Some(label)) => (name, label.clone()),
                _ => (name, from.to_string()),
            })
            .collect(),
        lookup: &doctor::process_env,
    };
    let report = guarded(|| Ok(doctor::run(input)))?;
    Ok(if json {
        report.to_json().to_string()
    } else {
        report.to_text()
    })
}

/// `Passgate\metrics()`: the snapshot as an array.
pub fn metrics() -> PhpResult<Zval> {
    json_zval(&metrics::snapshot())
}

/// `Passgate\metrics_text()`.
pub fn metrics_text() -> String {
    metrics::prometheus_text()
}
