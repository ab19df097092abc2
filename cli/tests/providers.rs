//! reCAPTCHA, hCaptcha and Turnstile end to end against the emulator: what
//! goes on the wire (checked at the emulator), test keys, and what only the
//! CaptchaLa provider can do.

mod common;

use passgate_cli::mock::DEFAULT_SECRET_KEY;
use passgate_core::{Config, Error, IssueRequest, Options, OutcomeCode, ValidateRequest, Verifier};

fn siteverify_options(provider: &str, base_url: &str) -> Options {
    Options {
        provider: Some(provider.into()),
        secret_key: Some(DEFAULT_SECRET_KEY.into()),
        environment: Some("test".into()),
        api_base: Some(base_url.into()),
        timeout_ms: Some(2000),
        ..Options::default()
    }
}

fn validate(verifier: &Verifier, token: &str, client_ip: Option<&str>) -> passgate_core::Outcome {
    verifier
        .validate_blocking(ValidateRequest {
            client_ip: client_ip.map(str::to_string),
            ..ValidateRequest::new(Some(token))
        })
        .expect("outcome")
}

#[test]
fn the_client_ip_is_sent_canonical_or_not_at_all() {
    let mock = common::mock();
    for provider in ["recaptcha", "hcaptcha", "turnstile"] {
        let verifier = common::verifier(siteverify_options(provider, &mock.base_url));
        let outcome = validate(
            &verifier,
            &format!("{provider}-ip-1"),
            Some("::ffff:203.0.113.9"),
        );
        assert_eq!(outcome.code, OutcomeCode::Passed, "{provider}");
        let sent = mock.state().last_siteverify();
        assert_eq!(sent["provider"], provider);
        assert_eq!(sent["content_type"], "application/x-www-form-urlencoded");
        assert_eq!(sent["fields"]["remoteip"], "203.0.113.9", "{provider}");
        // The log keeps what the caller passed.
        assert_eq!(
            outcome.log_fields.client_ip.as_deref(),
            Some("::ffff:203.0.113.9")
        );

        for not_an_ip in ["unknown", "203.0.113.9, 10.0.0.1", "  "] {
            let token = format!("{provider}-ip-{}", not_an_ip.len());
            let outcome = validate(&verifier, &token, Some(not_an_ip));
            assert_eq!(
                outcome.code,
                OutcomeCode::Passed,
                "{provider} {not_an_ip:?}"
            );
            let sent = mock.state().last_siteverify();
            assert!(
                sent["fields"].get("remoteip").is_none(),
                "{provider}: {sent}"
            );
        }
    }
}

#[test]
fn only_hcaptcha_is_sent_the_site_key_and_only_turnstile_an_idempotency_key() {
    let mock = common::mock();
    for provider in ["recaptcha", "hcaptcha", "turnstile"] {
        let verifier = common::verifier(Options {
            site_key: Some("test-site-key".into()),
            ..siteverify_options(provider, &mock.base_url)
        });
        assert_eq!(
            validate(&verifier, &format!("{provider}-keys"), None).code,
            OutcomeCode::Passed
        );
        let names = mock.state().last_siteverify()["field_names"].clone();
        let mut expected = vec!["response", "secret"];
        match provider {
            "hcaptcha" => expected.push("sitekey"),
            "turnstile" => expected.insert(0, "idempotency_key"),
            _ => {}
        }
        assert_eq!(names, serde_json::json!(expected), "{provider}");
    }
}

#[test]
fn turnstile_retries_with_the_same_idempotency_key_and_no_other_provider_retries() {
    let mock = common::mock();
    let turnstile = common::verifier(siteverify_options("turnstile", &mock.base_url));
    // Two validations: two fresh keys.
    assert_eq!(
        validate(&turnstile, "ts-fresh-1", None).code,
        OutcomeCode::Passed
    );
    assert_eq!(
        validate(&turnstile, "ts-fresh-2", None).code,
        OutcomeCode::Passed
    );
    assert_eq!(mock.stats().idempotency_key_reuses, 0);

    common::script(
        &mock,
        "ts-flaky",
        serde_json::json!({ "error": "internal-error", "times": 1 }),
    );
    let outcome = validate(&turnstile, "ts-flaky", None);
    assert_eq!(outcome.code, OutcomeCode::Passed);
    assert_eq!(outcome.log_fields.attempts, 2);
    assert_eq!(mock.stats().idempotency_key_reuses, 1);

    let before = mock.stats().siteverify_calls;
    let recaptcha = common::verifier(siteverify_options("recaptcha", &mock.base_url));
    common::script(
        &mock,
        "rc-flaky",
        serde_json::json!({ "http_status": 503, "times": 1 }),
    );
    let outcome = validate(&recaptcha, "rc-flaky", None);
    assert_eq!(outcome.code, OutcomeCode::UpstreamUnavailable);
    assert_eq!(outcome.upstream_error.as_deref(), Some("http_503"));
    assert_eq!(mock.stats().siteverify_calls - before, 1);
}

#[test]
fn published_test_secrets_work_only_outside_production() {
    let secrets = [
        (
            "recaptcha",
            "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
            "anything",
        ),
        (
            "hcaptcha",
            "0x0000000000000000000000000000000000000000",
            "10000000-aaaa-bbbb-cccc-000000000001",
        ),
        (
            "turnstile",
            "1x0000000000000000000000000000000AA",
            "XXXX.DUMMY.TOKEN.XXXX",
        ),
        (
            "turnstile",
            "2x0000000000000000000000000000000AA",
            "XXXX.DUMMY.TOKEN.XXXX",
        ),
        (
            "turnstile",
            "3x0000000000000000000000000000000AA",
            "XXXX.DUMMY.TOKEN.XXXX",
        ),
    ];
    let mock = common::mock();
    for (provider, secret, token) in secrets {
        for environment in ["production", "staging", "Prod", "conformance"] {
            let err = Config::resolve(Options {
                secret_key: Some(secret.into()),
                environment: Some(environment.into()),
                ..siteverify_options(provider, "https://example.invalid")
            })
            .expect_err(secret);
            assert_eq!(err.setting, "secret_key");
            assert!(!err.to_string().contains(secret), "{err}");
        }
        let verifier = common::verifier(Options {
            secret_key: Some(secret.into()),
            replay_store: Some("none".into()),
            ..siteverify_options(provider, &mock.base_url)
        });
        let expected = match &secret[..2] {
            "2x" => OutcomeCode::Rejected,
            "3x" => OutcomeCode::Expired,
            _ => OutcomeCode::Passed,
        };
        assert_eq!(validate(&verifier, token, None).code, expected, "{secret}");
    }
}

#[test]
fn server_tokens_are_captchalas_alone() {
    let mock = common::mock();
    for provider in ["recaptcha", "hcaptcha", "turnstile"] {
        let verifier = common::verifier(siteverify_options(provider, &mock.base_url));
        let err = verifier
            .issue_server_token_blocking(IssueRequest {
                action: "login".into(),
                ..IssueRequest::default()
            })
            .expect_err(provider);
        let Error::Issue(failure) = &err else {
            panic!("{provider}: {err:?}")
        };
        assert_eq!(failure.code, OutcomeCode::Misconfigured);
        assert_eq!(
            failure.upstream_error.as_deref(),
            Some(format!("not_supported_by_{provider}").as_str())
        );
        assert!(
            err.to_string()
                .contains(&format!("not supported by provider {provider}")),
            "{err}"
        );
    }
    assert_eq!(mock.stats().issue_calls, 0);
}

#[test]
fn each_provider_has_its_form_field_and_path() {
    let mock = common::mock();
    let fields = [
        ("captchala", "captchala_token"),
        ("recaptcha", "g-recaptcha-response"),
        ("hcaptcha", "h-captcha-response"),
        ("turnstile", "cf-turnstile-response"),
    ];
    for (provider, field) in fields {
        let options = if provider == "captchala" {
            common::options_for(&mock.base_url)
        } else {
            siteverify_options(provider, &mock.base_url)
        };
        let verifier = common::verifier(options);
        assert_eq!(verifier.form_field(), field);
    }
    // A base that already names the path is used as it is.
    let full = format!("{}/turnstile/v0/siteverify", mock.base_url);
    let verifier = common::verifier(siteverify_options("turnstile", &full));
    assert_eq!(
        validate(&verifier, "ts-full-path", None).code,
        OutcomeCode::Passed
    );
}

#[test]
fn the_emulator_reads_json_bodies_too() {
    let mock = common::mock();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let post = |path: &str, body: serde_json::Value| {
        let url = format!("{}{path}", mock.base_url);
        runtime.block_on(async {
            let answer = reqwest::Client::new()
                .post(url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .expect("send");
            let text = answer.text().await.expect("body");
            serde_json::from_str::<serde_json::Value>(&text).expect("json")
        })
    };
    let answer = post(
        "/turnstile/v0/siteverify",
        serde_json::json!({ "secret": DEFAULT_SECRET_KEY, "response": "json-1", "remoteip": "203.0.113.9" }),
    );
    assert_eq!(answer["success"], true, "{answer}");
    assert_eq!(
        mock.state().last_siteverify()["content_type"],
        "application/json"
    );
    let wrong = post(
        "/siteverify",
        serde_json::json!({ "secret": "nope", "response": "json-2" }),
    );
    assert_eq!(
        wrong["error-codes"],
        serde_json::json!(["invalid-input-secret"])
    );
    let not_strings = post(
        "/recaptcha/api/siteverify",
        serde_json::json!({ "secret": 1, "response": "json-3" }),
    );
    assert_eq!(
        not_strings["error-codes"],
        serde_json::json!(["bad-request"])
    );
}
