//! `Passgate.native_doctor` and the metrics readers: the core's doctor and
//! per-process metrics. lib/passgate/doctor.rb and lib/passgate.rb wrap them
//! (the report and the snapshot cross as JSON, parsed there).

use std::collections::HashMap;

use magnus::{function, prelude::*, r_hash::ForEach, Error, RHash, RModule, Ruby, Value};
use passgate_core::doctor::{self, Input};
use passgate_core::{option_spec, ConfigError, Options};

use crate::nogvl::blocking_without_gvl;
use crate::to_ruby_error;
use crate::verifier::each_named;

/// `(option, label)` pairs from a Hash like `{ app_key: "config.passgate" }`;
/// a name that is not an option is a Passgate::ConfigError naming it.
fn sources(ruby: &Ruby, labels: RHash) -> Result<Vec<(&'static str, String)>, Error> {
    let mut pairs = Vec::new();
    labels.foreach(|key: Value, label: Value| {
        let name = match magnus::Symbol::from_value(key) {
            Some(symbol) => symbol.name()?.into_owned(),
            None => key.to_r_string()?.to_string()?,
        };
        let Some(spec) = option_spec(&name) else {
            return Err(to_ruby_error(
                ruby,
                ConfigError::new(name, "unknown option in the doctor's sources").into(),
            ));
        };
        pairs.push((spec.name, label.to_r_string()?.to_string()?));
        Ok(ForEach::Continue)
    })?;
    Ok(pairs)
}

/// `[ok, text, json]`: every check run on `options` (what is not given comes
/// from the environment, as for a Verifier), `sources` labelling where given
/// options came from. The network checks run without the GVL.
fn native_doctor(
    ruby: &Ruby,
    options: RHash,
    labels: RHash,
) -> Result<(bool, String, String), Error> {
    let mut given = Options::default();
    each_named(ruby, options, |name, value| given.set(name, value))?;
    let sources = sources(ruby, labels)?;
    // Read the environment now, with the GVL held: without it another Ruby
    // thread could be changing ENV (setenv) while the checks read it.
    let environment: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    blocking_without_gvl(ruby, "passgate-doctor", move || {
        let lookup = |name: &str| environment.get(name).cloned();
        let report = doctor::run(Input {
            options: given,
            sources,
            lookup: &lookup,
        });
        (
            !report.failed(),
            report.to_text(),
            report.to_json().to_string(),
        )
    })
}

/// The process-wide metrics snapshot, as JSON.
fn metrics_json() -> String {
    passgate_core::metrics::snapshot().to_string()
}

/// The same metrics in Prometheus' text exposition format.
fn metrics_text() -> String {
    passgate_core::metrics::prometheus_text()
}

pub fn define(module: &RModule) -> Result<(), Error> {
    module.define_module_function("native_doctor", function!(native_doctor, 2))?;
    module.define_module_function("metrics_json", function!(metrics_json, 0))?;
    module.define_module_function("metrics_text", function!(metrics_text, 0))?;
    Ok(())
}
