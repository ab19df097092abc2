//! `passgate demo`: start an emulator, walk through the main failure modes
//! (the conformance cases marked `"demo": true`), print each outcome and its
//! log record. The language demos run the same cases and print the same codes.

use std::io::Write;

use crate::conformance;
use crate::mock::{load_scripts, MockOptions, MockServer};

pub fn run(out: &mut impl Write) -> Result<bool, String> {
    let scripts = load_scripts(conformance::CASES_JSON)?;
    let mock = MockServer::start(MockOptions {
        scripts,
        ..MockOptions::default()
    })
    .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let w = |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
    w(
        out,
        format!("passgate demo — emulator at {}\n", mock.base_url),
    )?;
    let results = conformance::run(&mock.base_url, true)?;
    let mut all_as_expected = true;
    for result in &results {
        let o = &result.outcome;
        let mark = if result.problems.is_empty() {
            ""
        } else {
            "  << UNEXPECTED"
        };
        all_as_expected &= result.problems.is_empty();
        w(
            out,
            format!(
                "{:<42} {:<21} {}  {}{mark}",
                format!("{}[{}]", result.case, result.index),
                o.code.as_str(),
                o.http_status(),
                o.message()
            ),
        )?;
        w(out, format!("    {}", o.log_fields.to_json()))?;
        for problem in &result.problems {
            w(out, format!("    problem: {problem}"))?;
        }
    }
    let stats = mock.stats();
    w(
        out,
        format!(
            "\n{} calls; the emulator saw {} CaptchaLa and {} siteverify calls over {} TCP connection(s).",
            results.len(),
            stats.validate_calls + stats.backup_validate_calls,
            stats.siteverify_calls,
            stats.api_connections
        ),
    )?;
    Ok(all_as_expected)
}
