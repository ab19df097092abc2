//! `passgate doctor` as a user runs it, against `passgate mock` and broken
//! set-ups: a working one, a wrong secret, swapped CaptchaLa keys, an
//! untrusted certificate (and the same with ca_file), Redis down and up, a
//! skewed Date, a bad setting.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{free_port, RedisServer};
use passgate_cli::mock::{
    MockOptions, MockServer, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, DEFAULT_SECRET_KEY,
};
use serde_json::Value;

/// Run `passgate doctor` with exactly `env` (nothing inherited but PATH).
fn doctor(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_passgate"));
    command.arg("doctor").args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run passgate doctor")
}

fn captchala_env(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CAPTCHALA_APP_KEY", DEFAULT_APP_KEY.to_string()),
        ("CAPTCHALA_APP_SECRET", DEFAULT_APP_SECRET.to_string()),
        ("PASSGATE_API_BASE", base_url.to_string()),
        ("PASSGATE_ENVIRONMENT", "development".to_string()),
    ]
}

fn run(env: &[(&'static str, String)], json: bool) -> (Output, Value) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = doctor(&env, if json { &["--json"] } else { &[] });
    let value = if json {
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    } else {
        Value::Null
    };
    (output, value)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

/// A string field of a check (summary, advice, status), empty when absent.
fn field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap_or_default()
}

fn status(report: &Value, name: &str) -> String {
    check(report, name)["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn a_working_captchala_set_up_passes_every_check() {
    let mock = common::mock();
    let env = captchala_env(&mock.base_url);
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["ok"], true);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| field(c, "name"))
        .collect();
    assert_eq!(
        names,
        [
            "configuration",
            "connection",
            "keys",
            "clock",
            "replay_store"
        ]
    );
    for c in report["checks"].as_array().expect("checks") {
        assert_eq!(c["status"], "pass", "{c:#}");
    }
    let configuration = check(&report, "configuration");
    assert!(field(configuration, "summary").contains("development"));
    let details = configuration["details"].to_string();
    assert!(details.contains("******** (set)"), "{details}");
    assert!(
        details.contains("environment CAPTCHALA_APP_SECRET"),
        "{details}"
    );
    assert!(details.contains("(default)"), "{details}");

    // The human table: one mark per check, every one a ✓.
    let (output, _) = run(&env, false);
    assert_eq!(output.status.code(), Some(0));
    let table = text(&output);
    assert_eq!(table.matches('✓').count(), 5, "{table}");
    assert!(!table.contains('✗'), "{table}");
    assert!(table.contains("0 failed"), "{table}");
}

#[test]
fn the_output_never_holds_a_secret_or_the_probe_token() {
    let mock = common::mock();
    let secret = "doctor-secret-never-printed";
    let env = vec![
        ("CAPTCHALA_APP_KEY", DEFAULT_APP_KEY.to_string()),
        ("CAPTCHALA_APP_SECRET", secret.to_string()),
        ("PASSGATE_API_BASE", mock.base_url.clone()),
        ("PASSGATE_ENVIRONMENT", "development".to_string()),
        (
            "PASSGATE_REPLAY_STORE",
            "redis://:redis-password-never-printed@127.0.0.1:1/0".to_string(),
        ),
        (
            "HTTPS_PROXY",
            "http://user:proxy-password-never-printed@127.0.0.1:3128".to_string(),
        ),
    ];
    for json in [false, true] {
        let (output, _) = run(&env, json);
        let all = text(&output);
        for needle in [
            secret,
            "redis-password-never-printed",
            "proxy-password-never-printed",
            "passgate-doctor-probe",
        ] {
            assert!(!all.contains(needle), "{needle} printed:\n{all}");
        }
        assert!(all.contains("HTTPS_PROXY"), "{all}");
    }
}

#[test]
fn a_wrong_siteverify_secret_fails_the_keys_check() {
    let mock = common::mock();
    let env = vec![
        ("PASSGATE_PROVIDER", "turnstile".to_string()),
        (
            "PASSGATE_SECRET_KEY",
            "0x4AAAAAAAwrongwrongwrongwrongwrongAA".to_string(),
        ),
        ("PASSGATE_API_BASE", mock.base_url.clone()),
        ("PASSGATE_ENVIRONMENT", "development".to_string()),
    ];
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["ok"], false);
    let keys = check(&report, "keys");
    assert_eq!(keys["status"], "fail", "{keys:#}");
    assert!(field(keys, "summary").contains("invalid-input-secret"));
    let advice = field(keys, "advice");
    assert!(advice.contains("another site or environment"), "{advice}");

    // A secret shaped like a Turnstile site key: probably swapped.
    let swapped = vec![
        ("PASSGATE_PROVIDER", "turnstile".to_string()),
        (
            "PASSGATE_SECRET_KEY",
            "0x4AAAAAAAAAAAAAAAAAAAAA".to_string(),
        ),
        ("PASSGATE_API_BASE", mock.base_url.clone()),
        ("PASSGATE_ENVIRONMENT", "development".to_string()),
    ];
    let (_, report) = run(&swapped, true);
    let advice = check(&report, "keys")["advice"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(advice.contains("swapped"), "{advice}");

    // The right secret passes.
    let right = vec![
        ("PASSGATE_PROVIDER", "turnstile".to_string()),
        ("PASSGATE_SECRET_KEY", DEFAULT_SECRET_KEY.to_string()),
        ("PASSGATE_API_BASE", mock.base_url.clone()),
        ("PASSGATE_ENVIRONMENT", "development".to_string()),
    ];
    let (output, report) = run(&right, true);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(status(&report, "keys"), "pass");
}

#[test]
fn a_site_key_of_another_provider_is_a_warning() {
    let mock = common::mock();
    let env = vec![
        ("PASSGATE_PROVIDER", "turnstile".to_string()),
        ("PASSGATE_SECRET_KEY", DEFAULT_SECRET_KEY.to_string()),
        (
            "PASSGATE_SITE_KEY",
            "6LcAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
        ),
        ("PASSGATE_API_BASE", mock.base_url.clone()),
        ("PASSGATE_ENVIRONMENT", "development".to_string()),
    ];
    let (output, report) = run(&env, true);
    assert_eq!(
        output.status.code(),
        Some(0),
        "warnings do not fail: {report:#}"
    );
    let keys = check(&report, "keys");
    assert_eq!(keys["status"], "warn", "{keys:#}");
    assert!(
        keys["details"].to_string().contains("recaptcha"),
        "{keys:#}"
    );
}

#[test]
fn swapped_captchala_keys_fail_the_keys_check() {
    let mock = common::mock();
    let env = vec![
        ("CAPTCHALA_APP_KEY", DEFAULT_APP_SECRET.to_string()),
        ("CAPTCHALA_APP_SECRET", DEFAULT_APP_KEY.to_string()),
        ("PASSGATE_API_BASE", mock.base_url.clone()),
        ("PASSGATE_ENVIRONMENT", "development".to_string()),
    ];
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let keys = check(&report, "keys");
    assert_eq!(keys["status"], "fail", "{keys:#}");
    assert!(field(keys, "summary").contains("invalid_app_key"));
    assert!(field(keys, "advice").contains("swapped"));
    // The connection itself was fine.
    assert_eq!(status(&report, "connection"), "pass");
}

#[test]
fn an_untrusted_certificate_fails_with_the_ca_file_advice_and_ca_file_fixes_it() {
    let mock = MockServer::start(MockOptions {
        tls: true,
        ..MockOptions::default()
    })
    .expect("tls mock");
    let env = captchala_env(&mock.base_url);
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "fail", "{connection:#}");
    assert!(field(connection, "summary").contains("not trusted"));
    let advice = field(connection, "advice");
    assert!(
        advice.contains("ca_file") && advice.contains("PASSGATE_CA_FILE"),
        "{advice}"
    );
    assert_eq!(status(&report, "keys"), "skip");

    let ca_path =
        std::env::temp_dir().join(format!("passgate-doctor-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_path, mock.ca_pem.as_deref().expect("ca pem")).expect("write ca");
    let mut env = env;
    env.push(("PASSGATE_CA_FILE", ca_path.to_string_lossy().into_owned()));
    let (output, report) = run(&env, true);
    let _ = std::fs::remove_file(&ca_path);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "pass", "{connection:#}");
    assert!(
        connection["details"].to_string().contains("handshake in"),
        "{connection:#}"
    );
    assert_eq!(status(&report, "keys"), "pass");
}

/// A CONNECT proxy on a free port; counts the tunnels it opened.
fn connect_proxy() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let counter = tunnels.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let mut words = head.split_whitespace();
                let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
                    let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                    return;
                };
                let Ok(upstream) = TcpStream::connect(target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (Ok(mut client_in), Ok(mut upstream_out)) =
                    (client.try_clone(), upstream.try_clone())
                else {
                    return;
                };
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_in, &mut upstream_out);
                    let _ = upstream_out.shutdown(std::net::Shutdown::Write);
                });
                let mut upstream_in = upstream;
                let _ = std::io::copy(&mut upstream_in, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (port, tunnels)
}

#[test]
fn https_proxy_is_used_as_the_core_uses_it() {
    let mock = MockServer::start(MockOptions {
        tls: true,
        ..MockOptions::default()
    })
    .expect("tls mock");
    let ca_path = std::env::temp_dir().join(format!(
        "passgate-doctor-proxy-ca-{}.pem",
        std::process::id()
    ));
    std::fs::write(&ca_path, mock.ca_pem.as_deref().expect("ca pem")).expect("write ca");
    let (port, tunnels) = connect_proxy();
    let mut env = captchala_env(&mock.base_url);
    env.push(("PASSGATE_CA_FILE", ca_path.to_string_lossy().into_owned()));
    env.push((
        "HTTPS_PROXY",
        format!("http://doctor:proxy-pw-never-printed@127.0.0.1:{port}"),
    ));
    let (output, report) = run(&env, true);
    let _ = std::fs::remove_file(&ca_path);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "pass", "{connection:#}");
    assert!(
        connection["details"].to_string().contains("proxy_tunnel"),
        "{connection:#}"
    );
    // The doctor's own tunnel and the core's (the keys check).
    assert!(tunnels.load(Ordering::SeqCst) >= 2);
    assert_eq!(status(&report, "keys"), "pass");
    assert!(!text(&output).contains("proxy-pw-never-printed"));

    // A proxy that is down fails the connection check with proxy advice.
    let mut env = captchala_env(&mock.base_url);
    env.push(("HTTPS_PROXY", format!("http://127.0.0.1:{}", free_port())));
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "fail", "{connection:#}");

    // NO_PROXY naming the host: straight to the API again.
    env.push(("NO_PROXY", "127.0.0.1".to_string()));
    let (_, report) = run(&env, true);
    let connection = check(&report, "connection");
    assert!(
        !connection["details"].to_string().contains("proxy_tunnel"),
        "{connection:#}"
    );
}

#[test]
fn a_closed_api_port_fails_the_connection_check() {
    let port = free_port();
    let env = captchala_env(&format!("http://127.0.0.1:{port}"));
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "fail", "{connection:#}");
    assert!(field(connection, "summary").contains("TCP"));
}

#[test]
fn an_unreachable_backup_api_base_is_a_warning() {
    let mock = common::mock();
    let mut env = captchala_env(&mock.base_url);
    let port = free_port();
    env.push((
        "PASSGATE_BACKUP_API_BASE",
        format!("http://127.0.0.1:{port}"),
    ));
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "warn", "{connection:#}");
    let shown = connection.to_string();
    assert!(shown.contains("offline_ tokens"), "{shown}");
    assert!(shown.contains("PASSGATE_BACKUP_API_BASE"), "{shown}");

    // The emulator serves the backup API too.
    env.pop();
    env.push(("PASSGATE_BACKUP_API_BASE", mock.base_url.clone()));
    env.push(("PASSGATE_API_BASE", mock.base_url.clone()));
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(status(&report, "connection"), "pass");
}

#[test]
fn a_skewed_provider_date_warns_but_does_not_fail() {
    let mock = common::MockProcess::spawn(&["--date-skew-s=-600"]);
    let env = captchala_env(&mock.base_url);
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let clock = check(&report, "clock");
    assert_eq!(clock["status"], "warn", "{clock:#}");
    assert!(field(clock, "summary").contains("ahead"), "{clock:#}");
    assert!(field(clock, "advice").contains("NTP"), "{clock:#}");

    // Within clock_skew_s / 2: no warning.
    let near = common::MockProcess::spawn(&["--date-skew-s=5"]);
    let (_, report) = run(&captchala_env(&near.base_url), true);
    assert_eq!(status(&report, "clock"), "pass", "{report:#}");
}

#[test]
fn redis_down_fails_the_replay_store_check() {
    let mock = common::mock();
    let mut env = captchala_env(&mock.base_url);
    env.push((
        "PASSGATE_REPLAY_STORE",
        format!("redis://127.0.0.1:{}/0", free_port()),
    ));
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let store = check(&report, "replay_store");
    assert_eq!(store["status"], "fail", "{store:#}");
    assert!(field(store, "advice").contains("PASSGATE_REPLAY_STORE"));
    // The keys check does not depend on the store.
    assert_eq!(status(&report, "keys"), "pass");
}

#[test]
fn redis_up_passes_with_ping_and_a_claim_round_trip() {
    let server = RedisServer::start(free_port(), Some("doctor-redis-pw"));
    let port = server.port;
    let mock = common::mock();
    let mut env = captchala_env(&mock.base_url);
    env.push((
        "PASSGATE_REPLAY_STORE",
        format!("redis://:doctor-redis-pw@127.0.0.1:{port}/0"),
    ));
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let store = check(&report, "replay_store");
    assert_eq!(store["status"], "pass", "{store:#}");
    let details = store["details"].to_string();
    assert!(
        details.contains("PONG") && details.contains("SET NX PX"),
        "{details}"
    );
    assert!(!report.to_string().contains("doctor-redis-pw"));
    drop(server);
}

#[test]
fn a_bad_setting_is_a_failed_configuration_check_naming_it() {
    let mock = common::mock();
    let mut env = captchala_env(&mock.base_url);
    env.push(("PASSGATE_TIMEOUT_MS", "0".to_string()));
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let configuration = check(&report, "configuration");
    assert_eq!(configuration["status"], "fail");
    let summary = field(configuration, "summary");
    assert!(
        summary.contains("timeout_ms") && summary.contains("PASSGATE_TIMEOUT_MS"),
        "{summary}"
    );
    for name in ["connection", "keys", "clock", "replay_store"] {
        assert_eq!(status(&report, name), "skip");
    }

    // A missing secret in production names it too.
    let env = vec![("CAPTCHALA_APP_KEY", DEFAULT_APP_KEY.to_string())];
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1));
    let summary = check(&report, "configuration")["summary"].to_string();
    assert!(summary.contains("app_secret"), "{summary}");
    assert!(summary.contains("CAPTCHALA_APP_SECRET"), "{summary}");
}

#[test]
fn test_mode_skips_the_network_and_test_secrets_in_production_fail() {
    let env = vec![
        ("PASSGATE_MODE", "test".to_string()),
        ("PASSGATE_ENVIRONMENT", "ci".to_string()),
        ("PASSGATE_SECRET_KEY", "ignored-for-captchala".to_string()),
    ];
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(status(&report, "connection"), "skip");
    assert_eq!(status(&report, "keys"), "skip");
    let details = check(&report, "configuration")["details"].to_string();
    assert!(
        details.contains("PASSGATE_SECRET_KEY (set, but not used"),
        "{details}"
    );
    assert!(!details.contains("ignored-for-captchala"), "{details}");

    let env = vec![
        ("PASSGATE_PROVIDER", "turnstile".to_string()),
        (
            "PASSGATE_SECRET_KEY",
            "1x0000000000000000000000000000000AA".to_string(),
        ),
    ];
    let (output, report) = run(&env, true);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let configuration = check(&report, "configuration");
    assert_eq!(configuration["status"], "fail");
    let summary = field(configuration, "summary");
    assert!(
        summary.contains("secret_key") && summary.contains("test secret"),
        "{summary}"
    );
    assert!(!summary.contains("1x0000"), "{summary}");
}

#[test]
fn a_usage_error_exits_2() {
    let output = doctor(&[], &["--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
}
