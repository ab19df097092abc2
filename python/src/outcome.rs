//! `Outcome`: the result of one validation, as Python sees it. Every field
//! in `passgate_core::OUTCOME_FIELDS` is an attribute, converted by
//! `field_value`; a new field in the core needs nothing here.

use passgate_core::{FieldValue, LogValue, OUTCOME_FIELDS};
use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

#[pyclass(module = "passgate", frozen)]
pub struct Outcome {
    inner: passgate_core::Outcome,
}

impl Outcome {
    pub fn new(inner: passgate_core::Outcome) -> Self {
        Outcome { inner }
    }
}

fn log_value<'py>(py: Python<'py>, value: &LogValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        LogValue::Null => py.None().into_bound(py),
        LogValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        LogValue::Int(i) => i.into_pyobject(py)?.into_any(),
        LogValue::Float(f) => f.into_pyobject(py)?.into_any(),
        LogValue::Str(s) => s.into_pyobject(py)?.into_any(),
    })
}

/// The one converter from a core outcome field to a Python value (nested
/// records become new dicts on every access).
fn field_value<'py>(py: Python<'py>, value: &FieldValue) -> PyResult<Bound<'py, PyAny>> {
    match value {
        FieldValue::Value(v) => log_value(py, v),
        FieldValue::Record(entries) | FieldValue::Data(entries) => {
            let dict = PyDict::new(py);
            for (key, v) in entries {
                dict.set_item(key, log_value(py, v)?)?;
            }
            Ok(dict.into_any())
        }
    }
}

#[pymethods]
impl Outcome {
    /// `ok`, `code`, `http_status`, `log_fields`, …: every name in
    /// `OUTCOME_FIELDS`.
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.field(name) {
            Some(value) => field_value(py, &value),
            None => Err(PyAttributeError::new_err(format!(
                "'Outcome' object has no attribute '{name}'"
            ))),
        }
    }
    fn __dir__(&self) -> Vec<&'static str> {
        let mut names = OUTCOME_FIELDS.to_vec();
        names.extend(["message_for", "to_dict"]);
        names
    }
    /// `bool(outcome)` is `outcome.ok`, as for `requests.Response`: an
    /// `if outcome:` never lets a failure through.
    fn __bool__(&self) -> bool {
        self.inner.ok()
    }
    fn message_for(&self, lang: &str) -> &'static str {
        self.inner.message_for(lang)
    }
    /// Every field as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.inner.fields() {
            dict.set_item(name, field_value(py, &value)?)?;
        }
        Ok(dict)
    }
    fn __repr__(&self) -> String {
        format!(
            "<passgate.Outcome code={:?} ok={} http_status={} provider={:?} token_fingerprint={:?}>",
            self.inner.code.as_str(),
            if self.inner.ok() { "True" } else { "False" },
            self.inner.http_status(),
            self.inner.provider,
            self.inner
                .log_fields
                .token_fingerprint
                .as_deref()
                .unwrap_or("None"),
        )
    }
}
