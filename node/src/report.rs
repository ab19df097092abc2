//! `doctor`, `metrics` and `metricsText`: the core's deployment checks and
//! its per-process counters, handed to JavaScript as plain values.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use passgate_core::{doctor, metrics, Options};
use serde_json::Value;

use crate::verifier::parse_options;
use crate::{guarded, settle};

/// The checks, on a libuv worker thread: they block on the network (each
/// bounded by `timeout_ms`) and run a runtime of their own, so neither the
/// event loop nor napi's tokio threads may host them.
pub struct DoctorTask {
    options: Option<Options>,
}

impl Task for DoctorTask {
    // JSON text: a `serde_json::Value` cannot be a task's JavaScript value.
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<String> {
        let options = self.options.take().unwrap_or_default();
        let checked = catch_unwind(AssertUnwindSafe(|| {
            let report = doctor::run(doctor::Input {
                options,
                sources: Vec::new(),
                lookup: &doctor::process_env,
            });
            let mut json = report.to_json();
            json["text"] = report.to_text().into();
            json
        }));
        // Resolves to `{value}` or `{error}`, as `validate` does.
        let settled = settle(
            checked.map_err(|_| passgate_core::Error::Internal("a panic was caught".to_string())),
        );
        Ok(settled.to_string())
    }

    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

/// Run the core's checks with `options` (camelCase, as the `Verifier`
/// takes them; the rest from the environment). Throws PASSGATE_CONFIG for
/// an option that is not one or has the wrong type; anything else the
/// configuration check reports.
#[napi]
pub fn doctor(options: Option<Value>) -> napi::Result<AsyncTask<DoctorTask>, String> {
    let options = guarded(|| parse_options(options))?;
    Ok(AsyncTask::new(DoctorTask {
        options: Some(options),
    }))
}

/// This process's counters and histograms (every Verifier's validations).
#[napi]
pub fn metrics() -> Value {
    metrics::snapshot()
}

/// The same as Prometheus text exposition (0.0.4).
#[napi]
pub fn metrics_text() -> String {
    metrics::prometheus_text()
}
