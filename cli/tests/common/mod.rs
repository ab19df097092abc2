//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A `redis-server` on a loopback port, stopped on drop.
pub struct RedisServer {
    pub port: u16,
    child: Child,
}

impl RedisServer {
    pub fn start(port: u16, password: Option<&str>) -> RedisServer {
        let mut args = vec!["--port".to_string(), port.to_string()];
        if let Some(password) = password {
            args.extend(["--requirepass".to_string(), password.to_string()]);
        }
        RedisServer::start_with(port, &args)
    }

    /// `port` is where the server is reachable (plain or TLS, as `args` say).
    pub fn start_with(port: u16, args: &[String]) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server) must be installed");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20)); // polling a port that is not open yet
        }
        RedisServer { port, child }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
