//! `passgate doctor`: checks a deployment before users hit it (issue 15).
//!
//! The configuration is read exactly as the bindings read it (the same
//! environment variables, through the core's `Options` and `Config`); then
//! the provider's API is reached (DNS, TCP, TLS), asked about the keys with a
//! bogus token, its clock compared with ours, and the replay store tried.
//! Each check says in one line what to change. Nothing printed ever holds a
//! secret or a token.

mod keys;
mod net;
mod proxy;
mod store;

use std::time::Duration;

use crate::{
    is_development_environment, Config, ConfigError, Mode, OptionKind, Options, ProviderKind,
    OPTIONS,
};
use serde_json::{json, Value};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// Not run: an earlier check failed or it does not apply.
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }

    fn mark(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
            Status::Skip => "-",
        }
    }
}

/// One check's result: a summary, one line of advice, and details
/// (name, value) that are safe to print.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub summary: String,
    pub advice: Option<String>,
    pub details: Vec<(String, String)>,
}

impl Check {
    fn new(name: &'static str, status: Status, summary: impl Into<String>) -> Check {
        Check {
            name,
            status,
            summary: summary.into(),
            advice: None,
            details: Vec::new(),
        }
    }

    fn advice(mut self, advice: impl Into<String>) -> Check {
        self.advice = Some(advice.into());
        self
    }

    fn detail(mut self, name: impl Into<String>, value: impl Into<String>) -> Check {
        self.details.push((name.into(), value.into()));
        self
    }

    fn skipped(name: &'static str, why: &str) -> Check {
        Check::new(name, Status::Skip, format!("not run: {why}"))
    }
}

/// Every check, in order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether any check failed (warnings do not fail).
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "ok": !self.failed(),
            "checks": self.checks.iter().map(|c| json!({
                "name": c.name,
                "status": c.status.as_str(),
                "summary": c.summary,
                "advice": c.advice,
                "details": c.details.iter()
                    .map(|(k, v)| json!({ "name": k, "value": v }))
                    .collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// The human table: one line per check, its advice and details under it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for check in &self.checks {
            out.push_str(&format!(
                "{} {:<13} {}\n",
                check.status.mark(),
                check.name,
                check.summary
            ));
            for (name, value) in &check.details {
                out.push_str(&format!("    {name:<26} {value}\n"));
            }
            if let Some(advice) = &check.advice {
                out.push_str(&format!("    → {advice}\n"));
            }
        }
        let (fails, warns) = self.checks.iter().fold((0, 0), |(f, w), c| match c.status {
            Status::Fail => (f + 1, w),
            Status::Warn => (f, w + 1),
            _ => (f, w),
        });
        out.push_str(&format!("\n{} failed, {} warning(s)\n", fails, warns));
        out
    }
}

/// Names of the checks, in order.
pub const CHECKS: [&str; 5] = [
    "configuration",
    "connection",
    "keys",
    "clock",
    "replay_store",
];

/// What the doctor checks: the options a binding was given (none for the
/// `passgate` command), where each came from, and the environment.
pub struct Input<'a> {
    /// Options as the caller gave them; the rest come from `lookup`.
    pub options: Options,
    /// `(option, source)` for given options whose source is not simply
    /// "given": `"php.ini"`, `"settings.PASSGATE"`, `"config.passgate"`.
    pub sources: Vec<(&'static str, String)>,
    /// The environment (`std::env::var` in production, a map in tests).
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Input<'a> {
    /// Nothing given: every setting from the environment `lookup`.
    pub fn from_env(lookup: &'a dyn Fn(&str) -> Option<String>) -> Input<'a> {
        Input {
            options: Options::default(),
            sources: Vec::new(),
            lookup,
        }
    }
}

/// The process environment, for [`Input::from_env`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Run every check. Blocking: the network checks run on a runtime of their
/// own and each is bounded by `timeout_ms`.
pub fn run(input: Input<'_>) -> Report {
    let lookup = input.lookup;
    let mut report = Report::default();
    let (check, config, options) = configuration(&input);
    report.checks.push(check);
    let (Some(config), Some(options)) = (config, options) else {
        for name in &CHECKS[1..] {
            report
                .checks
                .push(Check::skipped(name, "the configuration is not usable"));
        }
        return report;
    };
    let date = if config.mode == Mode::Test {
        report.checks.push(Check::skipped(
            "connection",
            "test mode (PASSGATE_MODE=test) never calls the provider",
        ));
        report.checks.push(Check::skipped(
            "keys",
            "test mode (PASSGATE_MODE=test) never calls the provider",
        ));
        None
    } else {
        // The backup is checked when configured, or when both bases are the
        // defaults (production as shipped).
        let backup_too = config.provider == ProviderKind::CaptchaLa
            && (options.backup_api_base.is_some() || options.api_base.is_none());
        let (check, date) = net::connection(&config, backup_too, lookup);
        let reachable = check.status != Status::Fail;
        report.checks.push(check);
        if reachable {
            report.checks.push(keys::keys(&config, &options));
        } else {
            report.checks.push(Check::skipped(
                "keys",
                "the provider's API is not reachable",
            ));
        }
        date
    };
    report.checks.push(clock(&config, date));
    report.checks.push(store::replay_store(&config));
    report
}

/// Where an option's value came from and what it is, safe to print.
fn describe_option(
    spec: &crate::OptionSpec,
    given: &[(&'static str, String)],
    input: &Input<'_>,
) -> String {
    let value = given.iter().find(|(name, _)| *name == spec.name);
    let shown = match (value, spec.kind) {
        (Some(_), OptionKind::Secret) => "******** (set)".to_string(),
        (Some((_, printable)), _) => printable.clone(),
        (None, OptionKind::Secret) => "(not set)".to_string(),
        (None, _) => format!("{} (default)", spec.default.replace('`', "")),
    };
    if value.is_none() {
        return shown;
    }
    let env_var = spec
        .env
        .filter(|var| (input.lookup)(var).is_some_and(|v| !v.is_empty()));
    let named = input.sources.iter().find(|(name, _)| *name == spec.name);
    let by_caller = input
        .options
        .given()
        .iter()
        .any(|(name, _)| *name == spec.name);
    // A caller's value wins over the environment, as in the core.
    let source = match (named, by_caller, env_var) {
        (Some((_, source)), _, Some(var)) if source == "environment" => {
            format!("environment {var}")
        }
        (Some((_, source)), _, _) => source.clone(),
        (None, true, _) => "argument".into(),
        (None, false, Some(var)) => format!("environment {var}"),
        (None, false, None) => "given".into(),
    };
    format!("{shown}  [{source}]")
}

/// Check 1: every setting, where it came from, and whether the core accepts
/// the whole.
fn configuration(input: &Input<'_>) -> (Check, Option<Config>, Option<Options>) {
    let lookup = input.lookup;
    let failed = |error: ConfigError| {
        let hint = OPTIONS
            .iter()
            .find(|s| s.name == error.setting)
            .and_then(|s| s.env)
            .map(|var| format!(" ({var})"))
            .unwrap_or_default();
        Check::new(
            "configuration",
            Status::Fail,
            format!("{}{hint}: {}", error.setting, error.message),
        )
        .advice(format!(
            "fix {}{hint}; `passgate options` lists every setting and its environment variable",
            error.setting
        ))
    };
    let options = match input.options.clone().with_env(lookup) {
        Ok(options) => options,
        Err(error) => return (failed(error), None, None),
    };
    let provider = options.provider_kind().unwrap_or(ProviderKind::CaptchaLa);
    let given = options.given();
    let mut check = Check::new("configuration", Status::Pass, "");
    for spec in OPTIONS.iter().filter(|s| s.applies_to(provider)) {
        check = check.detail(spec.name, describe_option(spec, &given, input));
    }
    let ignored: Vec<String> = OPTIONS
        .iter()
        .filter(|s| !s.applies_to(provider))
        .filter_map(|s| s.env)
        .filter(|var| lookup(var).is_some_and(|v| !v.is_empty()))
        .map(str::to_string)
        .collect();
    if !ignored.is_empty() {
        check = check.detail(
            "ignored",
            format!(
                "{} (set, but not used by provider {})",
                ignored.join(", "),
                provider.as_str()
            ),
        );
    }
    let config = match Config::resolve(options.clone()) {
        Ok(config) => config,
        Err(error) => {
            let mut failed = failed(error);
            failed.details = check.details;
            return (failed, None, None);
        }
    };
    let development = is_development_environment(&config.environment);
    let class = if development {
        "development: test mode and test keys are allowed"
    } else {
        "production: test mode and test keys are refused"
    };
    check.summary = format!(
        "provider {}, environment {:?} ({class}), mode {}",
        config.provider.as_str(),
        config.environment,
        if config.mode == Mode::Test {
            "test"
        } else {
            "live"
        }
    );
    (check, Some(config), Some(options))
}

/// Check 4: the provider's `Date` against this host's clock.
fn clock(config: &Config, date: Option<Result<i64, String>>) -> Check {
    let tolerance = config.clock_skew.as_secs();
    let limit = tolerance / 2;
    let Some(date) = date else {
        return Check::skipped("clock", "no answer from the provider to compare with");
    };
    let provider_s = match date {
        Ok(secs) => secs,
        Err(why) => {
            return Check::new("clock", Status::Warn, format!("cannot compare: {why}"))
                .advice("make sure this host keeps time with NTP (chrony, systemd-timesyncd)")
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let skew = now - provider_s;
    let words = match skew {
        0 => "in step with the provider (to the second)".to_string(),
        s if s > 0 => format!("this host is {s} s ahead of the provider"),
        s => format!("this host is {} s behind the provider", -s),
    };
    let check = Check::new("clock", Status::Pass, words)
        .detail("clock_skew_s", format!("{tolerance} (warn above {limit})"));
    if skew.unsigned_abs() > limit {
        Check {
            status: Status::Warn,
            ..check
        }
        .advice(format!(
            "sync this host's clock (NTP: chrony, systemd-timesyncd); with {} s of skew tokens are judged expired or from the future early (clock_skew_s, PASSGATE_CLOCK_SKEW_S, is {tolerance})",
            skew.unsigned_abs()
        ))
    } else {
        check
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as unix seconds.
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = text.trim().split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let h: i64 = clock.next()?.parse().ok()?;
    let m: i64 = clock.next()?.parse().ok()?;
    let s: i64 = clock.next()?.parse().ok()?;
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_dates_parse() {
        assert_eq!(
            super::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            super::parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(951_782_400)
        );
        assert_eq!(super::parse_http_date("yesterday"), None);
    }

    /// A binding's doctor says where each setting came from: the caller,
    /// a named source (php.ini, framework settings), or the environment.
    #[test]
    fn settings_say_where_they_came_from() {
        let env = |name: &str| match name {
            "PASSGATE_ENVIRONMENT" => Some("development".to_string()),
            "CAPTCHALA_APP_SECRET" => Some("from-the-environment".to_string()),
            _ => None,
        };
        let options = crate::Options {
            app_key: Some("key-given".into()),
            mode: Some("test".into()),
            timeout_ms: Some(900),
            ..crate::Options::default()
        };
        let report = super::run(super::Input {
            options,
            sources: vec![("timeout_ms", "settings.PASSGATE".into())],
            lookup: &env,
        });
        let details = &report.checks[0].details;
        let shown = |name: &str| {
            details
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(shown("app_key"), "\"key-given\"  [argument]");
        assert_eq!(shown("timeout_ms"), "900  [settings.PASSGATE]");
        assert_eq!(
            shown("app_secret"),
            "******** (set)  [environment CAPTCHALA_APP_SECRET]"
        );
        assert!(!report.to_text().contains("from-the-environment"));
        assert!(!report.failed(), "{}", report.to_text());
    }
}
