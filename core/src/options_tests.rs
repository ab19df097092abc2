//! Tests of `options.rs`.

use super::*;
use std::collections::HashMap;

#[test]
fn names_are_unique_and_every_one_can_be_set() {
    let mut seen = std::collections::HashSet::new();
    for spec in OPTIONS {
        assert!(seen.insert(spec.name), "{} twice", spec.name);
        let value = match spec.kind {
            OptionKind::Count => OptionValue::Int(1),
            OptionKind::Flag => OptionValue::Bool(true),
            OptionKind::Number => OptionValue::Float(0.5),
            OptionKind::List => OptionValue::List(vec!["a".into()]),
            _ => OptionValue::Str("x".into()),
        };
        let mut options = Options::default();
        options.set(spec.name, value).expect(spec.name);
        assert_eq!(options.given().len(), 1, "{}", spec.name);
    }
}

#[test]
fn every_environment_variable_is_read_for_its_providers() {
    for provider in ProviderKind::ALL {
        let env: HashMap<String, String> = OPTIONS
            .iter()
            .filter_map(|spec| {
                let text = match spec.kind {
                    OptionKind::Count => "7",
                    OptionKind::Flag => "true",
                    OptionKind::Number => "0.25",
                    OptionKind::List => "a.example, b.example",
                    _ if spec.name == "provider" => provider.as_str(),
                    _ => "text",
                };
                spec.env.map(|var| (var.to_string(), text.to_string()))
            })
            .collect();
        let options = Options::default()
            .with_env(|var| env.get(var).cloned())
            .expect("env");
        let given: Vec<&str> = options.given().into_iter().map(|(n, _)| n).collect();
        let expected: Vec<&str> = OPTIONS
            .iter()
            .filter(|s| s.env.is_some() && s.applies_to(provider))
            .map(|s| s.name)
            .collect();
        assert_eq!(given, expected, "{provider:?}");
        assert!(options.check_applicable(provider).is_ok());
    }
}

#[test]
fn lists_numbers_and_secrets() {
    let mut options = Options::default();
    options
        .set(
            "expected_hostnames",
            OptionValue::Str(" a.example ,b.example,".into()),
        )
        .expect("list from text");
    assert_eq!(
        options.expected_hostnames,
        Some(vec!["a.example".to_string(), "b.example".to_string()])
    );
    let err = options
        .set("min_score", OptionValue::Float(f64::NAN))
        .expect_err("nan");
    assert_eq!(err.setting, "min_score");
    let err = Options::default()
        .with_env(|v| {
            (v == "PASSGATE_PROVIDER")
                .then(|| "recaptcha".into())
                .or_else(|| (v == "PASSGATE_MIN_SCORE").then(|| "high".into()))
        })
        .expect_err("bad number");
    assert_eq!(err.setting, "PASSGATE_MIN_SCORE");
    options
        .set("secret_key", OptionValue::Str("hunter2-secret".into()))
        .expect("secret");
    options
        .set(
            "replay_store",
            OptionValue::Str("redis://:hunter2-pw@h:1".into()),
        )
        .expect("url");
    let printed = format!("{options:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(printed.contains("expected_hostnames"), "{printed}");
}

#[test]
fn options_for_another_provider_are_named() {
    let options = Options {
        provider: Some("turnstile".into()),
        app_key: Some("k".into()),
        ..Options::default()
    };
    let err = options
        .check_applicable(ProviderKind::Turnstile)
        .expect_err("app_key");
    assert_eq!(err.setting, "app_key");
    assert!(err.message.contains("captchala"), "{err}");
    let env = HashMap::from([
        ("PASSGATE_PROVIDER", "hcaptcha"),
        ("CAPTCHALA_APP_KEY", "left over"),
        ("PASSGATE_SECRET_KEY", "s"),
    ]);
    let options = Options::default()
        .with_env(|v| env.get(v).map(|s| s.to_string()))
        .expect("env");
    assert_eq!(options.app_key, None);
    assert_eq!(options.secret_key.as_deref(), Some("s"));
    assert!(options.provider_kind().is_ok());
    let err = Options {
        provider: Some("google".into()),
        ..Options::default()
    }
    .provider_kind()
    .expect_err("unknown provider");
    assert_eq!(err.setting, "provider");
}
