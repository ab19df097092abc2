//! `Outcome`: the result of one validation, as Python sees it.

use passgate_core::LogValue;
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

#[pymethods]
impl Outcome {
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }
    #[getter]
    fn code(&self) -> &'static str {
        self.inner.code.as_str()
    }
    #[getter]
    fn category(&self) -> &'static str {
        self.inner.category().as_str()
    }
    #[getter]
    fn retryable(&self) -> bool {
        self.inner.retryable()
    }
    #[getter]
    fn http_status(&self) -> u16 {
        self.inner.http_status()
    }
    #[getter]
    fn message(&self) -> &'static str {
        self.inner.message()
    }
    fn message_for(&self, lang: &str) -> &'static str {
        self.inner.message_for(lang)
    }
    #[getter]
    fn upstream_error(&self) -> Option<&str> {
        self.inner.upstream_error.as_deref()
    }
    #[getter]
    fn token_type(&self) -> Option<&'static str> {
        self.inner.token_type.map(|t| t.as_str())
    }
    #[getter]
    fn token_age_ms(&self) -> Option<i64> {
        self.inner.token_age_ms
    }
    #[getter]
    fn challenge_id(&self) -> Option<&str> {
        self.inner.challenge_id.as_deref()
    }
    #[getter]
    fn action(&self) -> Option<&str> {
        self.inner.action.as_deref()
    }
    #[getter]
    fn uid(&self) -> Option<&str> {
        self.inner.uid.as_deref()
    }
    #[getter]
    fn risk_score(&self) -> Option<i64> {
        self.inner.risk_score
    }
    /// `captcha_args` as a dict, or None when the upstream sent none.
    #[getter]
    fn captcha_args<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(args) = &self.inner.captcha_args else {
            return Ok(None);
        };
        let dict = PyDict::new(py);
        dict.set_item("platform", &args.platform)?;
        dict.set_item("user_ip", &args.user_ip)?;
        dict.set_item("referer", &args.referer)?;
        dict.set_item("pkg", &args.pkg)?;
        dict.set_item("solved_at", args.solved_at)?;
        dict.set_item("risk_score", args.risk_score)?;
        Ok(Some(dict))
    }
    /// The structured log record (a new dict on every access).
    #[getter]
    fn log_fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (key, value) in self.inner.log_fields.entries() {
            dict.set_item(key, log_value(py, &value)?)?;
        }
        Ok(dict)
    }
    /// A one-line summary for text logs.
    #[getter]
    fn log_message(&self) -> String {
        self.inner.log_fields.summary()
    }
    fn __repr__(&self) -> String {
        format!(
            "<passgate.Outcome code={:?} ok={} http_status={} token_fingerprint={:?}>",
            self.inner.code.as_str(),
            if self.inner.ok() { "True" } else { "False" },
            self.inner.http_status(),
            self.inner
                .log_fields
                .token_fingerprint
                .as_deref()
                .unwrap_or("None"),
        )
    }
}
