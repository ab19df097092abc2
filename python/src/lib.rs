//! `passgate._native`: the Python binding. Parses Python arguments into core
//! types, makes one core call with the GIL released, converts the result.
//! The public API (logging, async, frameworks) is in the `passgate` package.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

mod diagnostics;
mod outcome;
mod verifier;

create_exception!(
    passgate,
    PassgateError,
    PyException,
    "Base class of passgate's errors."
);
create_exception!(
    passgate,
    ConfigError,
    PassgateError,
    "A bad setting; the message names it, and so does `.setting`."
);
create_exception!(
    passgate,
    InternalError,
    PassgateError,
    "A bug inside passgate (a caught panic)."
);
create_exception!(
    passgate,
    IssueError,
    PassgateError,
    "issue_server_token was refused or the upstream failed."
);

/// The one place a core error becomes a Python exception.
pub(crate) fn to_py_err(py: Python<'_>, error: passgate_core::Error) -> PyErr {
    match error {
        passgate_core::Error::Config(e) => {
            let err = ConfigError::new_err(e.to_string());
            let _ = err.value(py).setattr("setting", e.setting.clone());
            err
        }
        passgate_core::Error::Internal(message) => {
            InternalError::new_err(format!("passgate internal error: {message}"))
        }
        passgate_core::Error::Issue(failure) => {
            let err = IssueError::new_err(failure.to_string());
            let value = err.value(py);
            let _ = value.setattr("code", failure.code.as_str());
            let _ = value.setattr("upstream_error", failure.upstream_error.clone());
            let _ = value.setattr("upstream_status", failure.upstream_status);
            err
        }
    }
}

/// The one place the GIL is released: run `work` without it, turning a
/// panic into `InternalError` so it never crosses into the interpreter.
pub(crate) fn without_gil<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<T, passgate_core::Error> + Send,
{
    let result = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(to_py_err(py, error)),
        Err(_) => Err(InternalError::new_err(
            "passgate internal error: a panic was caught",
        )),
    }
}

#[pymodule]
mod _native {
    #[pymodule_export]
    use super::{ConfigError, InternalError, IssueError, PassgateError};
    #[pymodule_export]
    use crate::diagnostics::{metrics_json, metrics_text, run_doctor};
    #[pymodule_export]
    use crate::outcome::Outcome;
    #[pymodule_export]
    use crate::verifier::Verifier;

    use pyo3::prelude::*;

    /// Whether a failed request should get JSON (framework helpers).
    #[pyfunction]
    fn wants_json(accept: &str, content_type: &str, requested_with: &str) -> bool {
        passgate_core::wants_json(accept, content_type, requested_with)
    }

    /// The language an Accept-Language header prefers (else `en`).
    #[pyfunction]
    fn preferred_language(accept_language: &str) -> String {
        passgate_core::preferred_language(accept_language)
    }

    /// The HTML failure page for a (translated) message.
    #[pyfunction]
    fn failure_page(message: &str, lang: &str) -> String {
        passgate_core::failure_page(message, lang)
    }

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("LOG_KEYS", passgate_core::LOG_KEYS.to_vec())?;
        let codes: Vec<&str> = passgate_core::OutcomeCode::ALL
            .iter()
            .map(|c| c.as_str())
            .collect();
        m.add("OUTCOME_CODES", codes)?;
        m.add("OPTION_NAMES", passgate_core::OPTION_NAMES.to_vec())?;
        m.add("SAFE_METHODS", passgate_core::SAFE_METHODS.to_vec())?;
        m.add("OUTCOME_FIELDS", passgate_core::OUTCOME_FIELDS.to_vec())?;
        // Option name → environment variable, from the core's option table.
        let option_env: std::collections::HashMap<&str, &str> = passgate_core::OPTIONS
            .iter()
            .filter_map(|spec| spec.env.map(|env| (spec.name, env)))
            .collect();
        m.add("OPTION_ENV", option_env)?;
        Ok(())
    }
}
