//! `Verifier`: options in, `Outcome` out; the GIL is released while waiting.

use passgate_core::{
    Config, ConfigError, IssueRequest, OptionValue, Options, ValidateRequest, WidgetArgs,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::outcome::Outcome;
use crate::{to_py_err, without_gil};

#[pyclass(module = "passgate._native", frozen)]
pub struct Verifier {
    inner: passgate_core::Verifier,
}

fn option_value(py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<OptionValue> {
    let bad = |message: String| to_py_err(py, ConfigError::new(name, message).into());
    if value.is_none() {
        Ok(OptionValue::Null)
    } else if value.is_instance_of::<PyBool>() {
        Ok(OptionValue::Bool(value.extract()?))
    } else if value.is_instance_of::<PyInt>() {
        let int: i64 = value.extract().map_err(|_| bad("out of range".into()))?;
        Ok(OptionValue::Int(int))
    } else if value.is_instance_of::<PyFloat>() {
        Ok(OptionValue::Float(value.extract()?))
    } else if let Ok(text) = value.cast::<PyString>() {
        Ok(OptionValue::Str(text.to_cow()?.into_owned()))
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items: Vec<String> = value
            .extract()
            .map_err(|_| bad("expected a list of str".into()))?;
        Ok(OptionValue::List(items))
    } else {
        let kind = value.get_type().name()?;
        Err(bad(format!(
            "expected str, int, float, bool, a list of str or None, got {kind}"
        )))
    }
}

/// Feed keyword arguments to `set` by name.
pub(crate) fn each_named(
    py: Python<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
    mut set: impl FnMut(&str, OptionValue) -> Result<(), ConfigError>,
) -> PyResult<()> {
    for (name, value) in kwargs.into_iter().flatten() {
        let name: String = name.extract()?;
        set(&name, option_value(py, &name, &value)?).map_err(|e| to_py_err(py, e.into()))?;
    }
    Ok(())
}

/// The token argument: `str` or `None`. Anything else is a TypeError; a
/// str that is not valid UTF-8 (lone surrogates) is kept lossily so that it
/// becomes `malformed_token`.
fn token_arg(token: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let Some(token) = token.filter(|t| !t.is_none()) else {
        return Ok(None);
    };
    let Ok(text) = token.cast::<PyString>() else {
        let kind = token.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "token must be a str or None, not {kind}"
        )));
    };
    Ok(Some(match text.to_cow() {
        Ok(s) => s.into_owned(),
        Err(_) => text.to_string_lossy().into_owned(),
    }))
}

#[pymethods]
impl Verifier {
    /// `Verifier(**options)`: DESIGN option names; anything not given is read
    /// from the environment.
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut parsed = Options::default();
        each_named(py, options, |name, value| parsed.set(name, value))?;
        let config = Config::from_options(parsed).map_err(|e| to_py_err(py, e.into()))?;
        Ok(Verifier {
            inner: passgate_core::Verifier::from_config(config),
        })
    }

    #[pyo3(signature = (token, client_ip=None, action=None, uid=None, keep_token=false))]
    fn validate(
        &self,
        py: Python<'_>,
        token: Option<&Bound<'_, PyAny>>,
        client_ip: Option<String>,
        action: Option<String>,
        uid: Option<String>,
        keep_token: bool,
    ) -> PyResult<Outcome> {
        let request = ValidateRequest {
            token: token_arg(token)?,
            client_ip,
            action,
            uid,
            keep_token,
        };
        let verifier = &self.inner;
        without_gil(py, || verifier.validate_blocking(request)).map(Outcome::new)
    }

    /// Returns `(server_token, expires_in, issued_at)`.
    #[pyo3(signature = (action, binding_ip=None, ttl=None, max_uses=None, bind_uid=None))]
    fn issue_server_token(
        &self,
        py: Python<'_>,
        action: String,
        binding_ip: Option<String>,
        ttl: Option<u64>,
        max_uses: Option<u64>,
        bind_uid: Option<String>,
    ) -> PyResult<(String, Option<i64>, Option<i64>)> {
        let request = IssueRequest {
            action,
            binding_ip,
            ttl,
            max_uses,
            bind_uid,
        };
        let verifier = &self.inner;
        let token = without_gil(py, || verifier.issue_server_token_blocking(request))?;
        Ok((token.server_token, token.expires_in, token.issued_at))
    }

    /// The widget's HTML: `widget(action=, nonce=, cdata=, server_token=,
    /// lang=)`.
    #[pyo3(signature = (**args))]
    fn widget(&self, py: Python<'_>, args: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
        let mut parsed = WidgetArgs::default();
        each_named(py, args, |name, value| parsed.set(name, value))?;
        self.inner
            .widget(&parsed)
            .map_err(|e| to_py_err(py, e.into()))
    }

    /// `{directive: [sources]}` the widget needs in the page's CSP.
    fn csp(&self) -> Vec<(&'static str, Vec<String>)> {
        self.inner.csp()
    }

    #[getter]
    fn environment(&self) -> &str {
        &self.inner.config().environment
    }

    #[getter]
    fn mode(&self) -> &'static str {
        match self.inner.config().mode {
            passgate_core::Mode::Live => "live",
            passgate_core::Mode::Test => "test",
        }
    }

    /// `captchala`, `recaptcha`, `hcaptcha` or `turnstile`.
    #[getter]
    fn provider(&self) -> &'static str {
        self.inner.config().provider.as_str()
    }

    /// The form field the provider's widget posts the token in.
    #[getter]
    fn form_field(&self) -> &'static str {
        self.inner.form_field()
    }

    #[getter]
    fn app_key(&self) -> &str {
        &self.inner.config().app_key
    }

    #[getter]
    fn replay_store(&self) -> &'static str {
        self.inner.config().store.label()
    }

    fn __repr__(&self) -> String {
        let shown: Vec<String> = self
            .inner
            .describe()
            .into_iter()
            .map(|(key, value)| format!("{key}={value:?}"))
            .collect();
        format!("<passgate.Verifier {}>", shown.join(" "))
    }
}
