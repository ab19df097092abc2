//! The app secret and the raw token never reach a log record, an error
//! message, a Debug print or the command's output.

mod common;

use std::process::Command;

use passgate_core::{Config, ConfigError, Options, ValidateRequest, Verifier};

const SECRET: &str = "sk_live_VERY_SECRET_value";
const TOKEN: &str = "pt_RAW_TOKEN_must_not_leak";

fn assert_clean(text: &str, what: &str) {
    assert!(!text.contains(SECRET), "{what} contains the secret: {text}");
    assert!(
        !text.contains("RAW_TOKEN"),
        "{what} contains the raw token: {text}"
    );
}

#[test]
fn outcomes_records_and_debug_prints_are_clean() {
    let mock = common::mock();
    // The emulator knows the real secret; validate both with it and without.
    let verifier = common::verifier(common::options_for(&mock.base_url));
    let wrong = common::verifier(Options {
        app_secret: Some(SECRET.into()),
        ..common::options_for(&mock.base_url)
    });
    assert_clean(&format!("{verifier:?} {wrong:?}"), "Verifier Debug");
    for v in [&verifier, &wrong] {
        for token in [
            TOKEN,
            "co_RAW_TOKEN_x",
            "sct_RAW_TOKEN_x",
            "pt_RAW_TOKEN with space",
            TOKEN,
        ] {
            let request = ValidateRequest::new(Some(token));
            assert_clean(&format!("{request:?}"), "ValidateRequest Debug");
            let outcome = v.validate_blocking(request).expect("outcome");
            assert_clean(&format!("{outcome:?}"), "Outcome Debug");
            assert_clean(&outcome.to_json().to_string(), "Outcome JSON");
            assert_clean(&outcome.log_fields.summary(), "log summary");
        }
    }
}

#[test]
fn config_errors_never_echo_the_secret() {
    let with_secret = |secret: &str| Options {
        app_key: Some("key".into()),
        app_secret: Some(secret.into()),
        ..Options::default()
    };
    let errors: Vec<ConfigError> = [
        Config::resolve(with_secret(&format!("{SECRET} with space"))),
        Config::resolve(Options {
            api_base: Some("ftp://x".into()),
            ..with_secret(SECRET)
        }),
        Config::resolve(Options {
            mode: Some("test".into()),
            ..with_secret(SECRET)
        }),
        Config::resolve(Options {
            ca_file: Some("/nope".into()),
            ..with_secret(SECRET)
        }),
    ]
    .into_iter()
    .map(|r| r.expect_err("invalid"))
    .collect();
    for error in errors {
        assert_clean(&format!("{error} {error:?}"), "ConfigError");
    }
    assert_clean(&format!("{:?}", with_secret(SECRET)), "Options Debug");
    let verifier = Verifier::from_config(Config::resolve(with_secret(SECRET)).expect("valid"));
    assert_clean(
        &format!("{verifier:?} {:?}", verifier.config()),
        "Config Debug",
    );
}

#[test]
fn command_output_is_clean() {
    let mock = common::mock();
    let run = |args: &[&str], secret: &str, extra_env: &[(&str, &str)]| {
        let output = Command::new(env!("CARGO_BIN_EXE_passgate"))
            .args(args)
            .env("CAPTCHALA_APP_KEY", passgate_cli::mock::DEFAULT_APP_KEY)
            .env("CAPTCHALA_APP_SECRET", secret)
            .env("PASSGATE_API_BASE", &mock.base_url)
            .env("PASSGATE_ENVIRONMENT", "test")
            .envs(extra_env.iter().copied())
            .output()
            .expect("run passgate");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    // A wrong secret: the emulator refuses, the command prints the outcome.
    let printed = run(&["validate", TOKEN, "--action", "login"], SECRET, &[]);
    assert!(printed.contains("\"misconfigured\""), "{printed}");
    assert_clean(&printed, "validate output");
    // A config error.
    let printed = run(
        &["validate", TOKEN],
        SECRET,
        &[("PASSGATE_TIMEOUT_MS", "soon")],
    );
    assert!(printed.contains("PASSGATE_TIMEOUT_MS"), "{printed}");
    assert_clean(&printed, "config error output");
    // A deliberate internal error in test mode.
    let printed = run(
        &["validate", "pt_test_internal_error"],
        SECRET,
        &[("PASSGATE_MODE", "test")],
    );
    assert!(printed.contains("internal error"), "{printed}");
    assert_clean(&printed, "internal error output");
    // The right secret passes and still prints neither.
    let printed = run(
        &["validate", TOKEN],
        passgate_cli::mock::DEFAULT_APP_SECRET,
        &[],
    );
    assert!(printed.contains("\"passed\""), "{printed}");
    assert!(!printed.contains("RAW_TOKEN"), "{printed}");
}
