//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use passgate_cli::mock::{Behaviour, MockOptions, MockServer, DEFAULT_APP_KEY, DEFAULT_APP_SECRET};
use passgate_core::{Config, Options, Verifier};

/// `passgate mock` as a real child process; killed on drop.
pub struct MockProcess {
    pub base_url: String,
    child: Child,
}

impl MockProcess {
    pub fn spawn(args: &[&str]) -> MockProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_passgate"))
            .arg("mock")
            .args(args)
            .arg("--exit-with-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn passgate mock");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("read base URL");
        let base_url = first.trim().to_string();
        assert!(
            base_url.starts_with("http"),
            "first line is the base URL, got {base_url:?}"
        );
        MockProcess { base_url, child }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn mock() -> MockServer {
    MockServer::start(MockOptions::default()).expect("start mock")
}

pub fn options_for(base_url: &str) -> Options {
    Options {
        app_key: Some(DEFAULT_APP_KEY.into()),
        app_secret: Some(DEFAULT_APP_SECRET.into()),
        environment: Some("test".into()),
        api_base: Some(base_url.into()),
        backup_api_base: Some(base_url.into()),
        timeout_ms: Some(2000),
        ..Options::default()
    }
}

/// A verifier for `base_url` built only from explicit values (no env).
pub fn verifier(options: Options) -> Verifier {
    Verifier::from_config(Config::resolve(options).expect("valid config"))
}

pub fn script(mock: &MockServer, token: &str, json: serde_json::Value) {
    mock.script(token, Behaviour::from_json(&json).expect("valid script"));
}
