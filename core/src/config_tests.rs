//! Tests of `config.rs`.

use super::*;
use crate::options::OptionValue;
use std::collections::HashMap;

fn keys() -> Options {
    Options {
        app_key: Some("key".into()),
        app_secret: Some("s3cret-value".into()),
        ..Options::default()
    }
}

#[test]
fn defaults() {
    let config = Config::resolve(keys()).expect("valid");
    assert_eq!(config.environment, "production");
    assert_eq!(config.api_base, "https://apiv1.captcha.la");
    assert_eq!(
        config.backup_api_base,
        "https://fallbackapiv1.captchala.com"
    );
    assert_eq!(config.timeout, Duration::from_secs(5));
    assert_eq!(config.claim_ttl(), Duration::from_secs(335));
    assert_eq!(
        config.store,
        StoreSpec::Memory {
            max_entries: 1_000_000
        }
    );
    assert!(!format!("{config:?}").contains("s3cret-value"));
}

#[test]
fn errors_name_the_setting() {
    let err = Config::resolve(Options::default()).expect_err("no keys");
    assert_eq!(err.setting, "app_key");
    let err = Config::resolve(Options {
        app_secret: None,
        ..keys()
    })
    .expect_err("no secret");
    assert_eq!(err.setting, "app_secret");
    let err = Config::resolve(Options {
        api_base: Some("not a url".into()),
        ..keys()
    })
    .expect_err("bad url");
    assert_eq!(err.setting, "api_base");
    let err = Config::resolve(Options {
        mode: Some("test".into()),
        ..keys()
    })
    .expect_err("test in production");
    assert_eq!(err.setting, "mode");
    let err = Config::resolve(Options {
        replay_store: Some("mysql://x".into()),
        ..keys()
    })
    .expect_err("store");
    assert_eq!(err.setting, "replay_store");
    let err = Config::resolve(Options {
        ca_file: Some("/nonexistent.pem".into()),
        ..keys()
    })
    .expect_err("ca");
    assert_eq!(err.setting, "ca_file");
    let mut options = keys();
    let err = options
        .set("api_key", OptionValue::Str("x".into()))
        .expect_err("unknown");
    assert_eq!(err.setting, "api_key");
    let err = options
        .set("timeout_ms", OptionValue::Bool(true))
        .expect_err("type");
    assert_eq!(err.setting, "timeout_ms");
}

#[test]
fn test_mode_only_in_development_environments() {
    let test_mode = |environment: &str| {
        Config::resolve(Options {
            mode: Some("test".into()),
            environment: Some(environment.into()),
            ..Options::default()
        })
    };
    for environment in [
        "production",
        "Production",
        "PRODUCTION",
        "production ",
        "prod",
        "staging",
        "live",
        "",
    ] {
        let err = test_mode(environment).expect_err(environment);
        assert!(
            ["mode", "environment"].contains(&err.setting.as_str()),
            "{environment:?}: {err}"
        );
    }
    for environment in [
        "development",
        "dev",
        "local",
        "test",
        "testing",
        "ci",
        " Test ",
        "CI",
    ] {
        assert!(test_mode(environment).is_ok(), "{environment:?}");
    }
}

#[test]
fn plain_http_only_to_loopback_in_production() {
    let with_base = |environment: &str, base: &str| {
        Config::resolve(Options {
            environment: Some(environment.into()),
            api_base: Some(base.into()),
            ..keys()
        })
    };
    for base in [
        "http://api.example.com",
        "http://10.0.0.5:8080",
        "http://[2001:db8::1]",
    ] {
        for environment in ["production", "staging", "Prod"] {
            let err = with_base(environment, base).expect_err(base);
            assert_eq!(err.setting, "api_base", "{base}");
        }
        assert!(with_base("development", base).is_ok(), "{base}");
    }
    for base in [
        "http://127.0.0.1:8900",
        "http://127.5.6.7",
        "http://localhost:1",
        "http://[::1]:80",
        "https://api.example.com",
    ] {
        assert!(with_base("production", base).is_ok(), "{base}");
    }
    let err = Config::resolve(Options {
        backup_api_base: Some("http://fallback.example.com".into()),
        ..keys()
    })
    .expect_err("backup in cleartext");
    assert_eq!(err.setting, "backup_api_base");
}

#[test]
fn credentials_in_a_base_url_are_refused_and_never_echoed() {
    for base in [
        "https://user:hunter2pass@api.example.com",
        "https://hunter2pass@api.example.com",
        "http://user:hunter2pass@127.0.0.1:1",
    ] {
        for setting in ["api_base", "backup_api_base"] {
            let mut options = keys();
            options
                .set(setting, OptionValue::Str(base.into()))
                .expect("a string");
            let err = Config::resolve(options).expect_err(base);
            assert_eq!(err.setting, setting);
            assert!(!format!("{err} {err:?}").contains("hunter2pass"), "{err}");
        }
    }
}

#[test]
fn identity_covers_every_setting() {
    let base = Config::resolve(keys()).expect("valid");
    let variants = [
        Options {
            app_secret: Some("other".into()),
            ..keys()
        },
        Options {
            environment: Some("staging".into()),
            ..keys()
        },
        Options {
            api_base: Some("https://example.test".into()),
            ..keys()
        },
        Options {
            backup_api_base: Some("https://example.test".into()),
            ..keys()
        },
        Options {
            replay_store: Some("none".into()),
            ..keys()
        },
        Options {
            max_entries: Some(5),
            ..keys()
        },
        Options {
            timeout_ms: Some(1),
            ..keys()
        },
        Options {
            max_token_age_s: Some(1),
            ..keys()
        },
        Options {
            clock_skew_s: Some(1),
            ..keys()
        },
        Options {
            allow_degraded: Some(true),
            ..keys()
        },
        Options {
            allow_client_only: Some(true),
            ..keys()
        },
        Options {
            fail_open_on_store_error: Some(true),
            ..keys()
        },
    ];
    for options in variants {
        let other = Config::resolve(options.clone()).expect("valid");
        assert_ne!(base.identity(), other.identity(), "{options:?}");
    }
    assert_eq!(
        base.identity(),
        Config::resolve(keys()).expect("valid").identity()
    );
}

#[test]
fn constructor_wins_over_environment() {
    let env: HashMap<&str, &str> = HashMap::from([
        ("CAPTCHALA_APP_KEY", "env-key"),
        ("CAPTCHALA_APP_SECRET", "env-secret"),
        ("PASSGATE_TIMEOUT_MS", "1234"),
        ("PASSGATE_ENVIRONMENT", "staging"),
    ]);
    let lookup = |name: &str| env.get(name).map(|v| v.to_string());
    let options = Options {
        app_key: Some("arg-key".into()),
        ..Options::default()
    };
    let config = Config::resolve(options.with_env(lookup).expect("env")).expect("valid");
    assert_eq!(config.app_key, "arg-key");
    assert_eq!(config.secret, "env-secret");
    assert_eq!(config.timeout, Duration::from_millis(1234));
    assert_eq!(config.environment, "staging");

    let bad = HashMap::from([("PASSGATE_TIMEOUT_MS", "soon")]);
    let err = Options::default()
        .with_env(|name| bad.get(name).map(|v| v.to_string()))
        .expect_err("bad env");
    assert_eq!(err.setting, "PASSGATE_TIMEOUT_MS");
}

#[test]
fn every_documented_environment_variable_is_read() {
    let env: HashMap<&str, &str> = HashMap::from([
        ("CAPTCHALA_APP_KEY", "k"),
        ("CAPTCHALA_APP_SECRET", "s"),
        ("PASSGATE_ENVIRONMENT", "staging"),
        ("PASSGATE_API_BASE", "http://127.0.0.1:1"),
        ("PASSGATE_BACKUP_API_BASE", "http://127.0.0.1:2"),
        ("PASSGATE_REPLAY_STORE", "redis://127.0.0.1:3"),
        ("PASSGATE_REDIS_KEY_PREFIX", "app:"),
        ("PASSGATE_STORE_TIMEOUT_MS", "250"),
        ("PASSGATE_TIMEOUT_MS", "900"),
        ("PASSGATE_MAX_TOKEN_AGE_S", "60"),
        ("PASSGATE_CLOCK_SKEW_S", "5"),
        ("PASSGATE_MODE", "live"),
        ("PASSGATE_CA_FILE", "/ca.pem"),
        ("PASSGATE_MAX_ENTRIES", "10"),
    ]);
    let o = Options::default()
        .with_env(|name| env.get(name).map(|v| v.to_string()))
        .expect("env");
    let read = [
        o.app_key.is_some(),
        o.app_secret.is_some(),
        o.environment.as_deref() == Some("staging"),
        o.api_base.is_some(),
        o.backup_api_base.is_some(),
        o.replay_store.is_some(),
        o.redis_key_prefix.as_deref() == Some("app:"),
        o.store_timeout_ms == Some(250),
        o.timeout_ms == Some(900),
        o.max_token_age_s == Some(60),
        o.clock_skew_s == Some(5),
        o.mode.as_deref() == Some("live"),
        o.ca_file.is_some(),
        o.max_entries == Some(10),
    ];
    assert_eq!(read, [true; 14]);
}
