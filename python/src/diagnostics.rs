//! `doctor` and the metrics: thin calls into `passgate_core::doctor` and
//! `passgate_core::metrics`. The JSON shapes cross as text and are parsed by
//! the `passgate` package, so a new field in the core needs nothing here.

use passgate_core::{doctor as core_doctor, metrics, option_spec, Options};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::verifier::each_named;
use crate::without_gil;

/// Run every check on `options` (the rest from the environment), labelling
/// each given option with `source` when it is not the call itself. Returns
/// `(ok, text, json)`. The GIL is released while the network checks run.
#[pyfunction]
#[pyo3(name = "doctor", signature = (options=None, source=None))]
pub fn run_doctor(
    py: Python<'_>,
    options: Option<&Bound<'_, PyDict>>,
    source: Option<String>,
) -> PyResult<(bool, String, String)> {
    let mut parsed = Options::default();
    each_named(py, options, |name, value| parsed.set(name, value))?;
    // `set` accepted every name, so each has a row with a static name.
    let sources: Vec<(&'static str, String)> = match source {
        Some(label) => parsed
            .given()
            .into_iter()
            .filter_map(|(name, _)| option_spec(name).map(|spec| (spec.name, label.clone())))
            .collect(),
        None => Vec::new(),
    };
    let report = without_gil(py, move || {
        Ok(core_doctor::run(core_doctor::Input {
            options: parsed,
            sources,
            lookup: &core_doctor::process_env,
        }))
    })?;
    Ok((
        !report.failed(),
        report.to_text(),
        report.to_json().to_string(),
    ))
}

/// This process's counters and histograms, as JSON text.
#[pyfunction]
pub fn metrics_json() -> String {
    metrics::snapshot().to_string()
}

/// This process's counters in the Prometheus text exposition format.
#[pyfunction]
pub fn metrics_text() -> String {
    metrics::prometheus_text()
}
