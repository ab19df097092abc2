//! The `passgate` command as a user runs it: `validate`, `issue` and `demo`.

mod common;

use std::process::{Command, Output};

use passgate_cli::mock::{DEFAULT_APP_KEY, DEFAULT_APP_SECRET};
use serde_json::Value;

fn passgate(base_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(args)
        .env("CAPTCHALA_APP_KEY", DEFAULT_APP_KEY)
        .env("CAPTCHALA_APP_SECRET", DEFAULT_APP_SECRET)
        .env("PASSGATE_API_BASE", base_url)
        .env("PASSGATE_ENVIRONMENT", "development")
        .output()
        .expect("run passgate")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn validate_prints_the_outcome_and_exits_by_it() {
    let mock = common::mock();
    common::script(
        &mock,
        "pt_cli_login",
        serde_json::json!({ "action": "login" }),
    );
    let args = [
        "validate",
        "pt_cli_login",
        "--action",
        "login",
        "--client-ip",
        "203.0.113.7",
    ];
    let first = passgate(&mock.base_url, &args);
    assert_eq!(first.status.code(), Some(0));
    let printed = json(&first);
    assert_eq!(printed["code"], "passed");
    assert_eq!(printed["log_fields"]["client_ip"], "203.0.113.7");
    assert_eq!(printed["log_fields"]["action"], "login");

    let again = passgate(&mock.base_url, &args);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(json(&again)["code"], "replayed");

    let usage = passgate(&mock.base_url, &["validate"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn issue_prints_a_server_token() {
    let mock = common::mock();
    let output = passgate(&mock.base_url, &["issue", "login", "--ttl", "120"]);
    assert_eq!(output.status.code(), Some(0));
    let printed = json(&output);
    assert!(
        printed["server_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("sct_")),
        "{printed}"
    );
    assert_eq!(printed["expires_in"], 120);
    assert!(printed["issued_at"].as_i64().is_some_and(|t| t > 0));
    assert_eq!(mock.stats().issue_calls, 1);
}

#[test]
fn demo_walks_through_the_main_failure_modes() {
    let output = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .arg("demo")
        .output()
        .expect("run passgate demo");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}");
    assert!(!printed.contains("UNEXPECTED"), "{printed}");
    // The failure family the README promises the demo shows.
    for code in [
        "passed",
        "replayed",
        "missing_token",
        "malformed_token",
        "expired",
        "action_mismatch",
        "rejected",
        "unverifiable",
        "degraded",
        "rate_limited",
        "misconfigured",
        "upstream_unavailable",
    ] {
        assert!(
            printed.contains(&format!("\"outcome\":\"{code}\"")),
            "no {code} step:\n{printed}"
        );
    }
}

#[test]
fn every_subcommand_has_help_and_takes_flag_equals_value() {
    for subcommand in ["validate", "issue", "mock", "demo"] {
        let output = passgate("http://127.0.0.1:1", &[subcommand, "--help"]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{subcommand} --help: {text}");
        assert!(
            text.contains(&format!("passgate {subcommand}")),
            "{subcommand}: {text}"
        );
    }
    let mock = common::mock();
    common::script(
        &mock,
        "pt_cli_equals",
        serde_json::json!({ "action": "login" }),
    );
    let output = passgate(
        &mock.base_url,
        &[
            "validate",
            "--action=login",
            "--client-ip=203.0.113.9",
            "pt_cli_equals",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json(&output)["log_fields"]["client_ip"], "203.0.113.9");
}

#[test]
fn arguments_that_are_not_utf8_exit_2_without_echoing_them() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let mut token = b"pt_SECRET_TOKEN_".to_vec();
    token.extend_from_slice(&[0xff, 0xfe]);
    let output = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .arg("validate")
        .arg(OsString::from_vec(token))
        .env("CAPTCHALA_APP_KEY", DEFAULT_APP_KEY)
        .env("CAPTCHALA_APP_SECRET", DEFAULT_APP_SECRET)
        .env("PASSGATE_API_BASE", "http://127.0.0.1:1")
        .output()
        .expect("run passgate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("UTF-8"), "{stderr}");
    assert!(!stderr.contains("SECRET_TOKEN"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
