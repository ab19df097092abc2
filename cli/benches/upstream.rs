//! The Rust rows of `make bench` (bench/run.py starts the nginx upstream and
//! passes it in `BENCH_CONFIG`): the core sequentially and with 64
//! validations in flight, and a plain reqwest loop as the limit a client
//! library can reach. Prints one JSON line per row, as the other languages'
//! bench clients do.

use std::sync::Arc;
use std::time::Instant;

use passgate_core::{Options, ValidateRequest, Verifier};
use serde_json::{json, Value};

struct Config {
    base: String,
    ca: String,
    secret: String,
    calls: usize,
    rounds: usize,
    status_url: String,
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Connections the upstream accepted so far (nginx stub_status).
async fn accepts(client: &reqwest::Client, url: &str) -> i64 {
    let text = client
        .get(url)
        .send()
        .await
        .expect("status")
        .text()
        .await
        .expect("status body");
    text.lines()
        .nth(2)
        .and_then(|line| line.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("accepts")
}

fn token(row: &str, round: usize, i: usize) -> String {
    format!(
        "bench-{}-{round}-{i:08}-0123456789abcdefghijklmnopqrstuvwxyz",
        row.replace(' ', "-")
    )
}

/// Run `work` `calls` times with `in_flight` tasks, `rounds` times; print the row.
async fn timed<F, Fut>(config: &Config, name: &str, in_flight: usize, work: F)
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    // BENCH_ONLY=<row name> runs one row (for a profiler).
    if std::env::var("BENCH_ONLY").is_ok_and(|only| only != name) {
        return;
    }
    let status = reqwest::Client::new();
    let before = accepts(&status, &config.status_url).await;
    let work = Arc::new(work);
    let per_task = config.calls / in_flight;
    let (mut seconds, mut cpu) = (Vec::new(), Vec::new());
    for round in 0..config.rounds {
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let tasks: Vec<_> = (0..in_flight)
            .map(|task| {
                let work = work.clone();
                let name = name.to_string();
                tokio::spawn(async move {
                    for i in 0..per_task {
                        assert!(
                            work(token(&name, round, task * per_task + i)).await,
                            "{name}: a validation did not pass"
                        );
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        seconds.push(started.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - cpu_before);
    }
    let connections = accepts(&status, &config.status_url).await - before - 1;
    println!(
        "{}",
        json!({ "row": name, "calls": per_task * in_flight, "seconds": seconds, "cpu_s": cpu, "connections": connections })
    );
}

/// Connections the upstream accepted so far, read without a runtime.
fn accepts_blocking(url: &str) -> i64 {
    use std::io::{Read, Write};
    let address = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port");
    let mut stream = std::net::TcpStream::connect(address).expect("status");
    write!(stream, "GET /status HTTP/1.0\r\nHost: {address}\r\n\r\n").expect("status request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("status answer");
    let body = text.split("\r\n\r\n").nth(1).expect("status body");
    body.lines()
        .nth(2)
        .and_then(|line| line.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("accepts")
}

/// Sequential calls of the blocking API from a plain thread, as Python, Ruby
/// and PHP make them: `work` `calls` times, `rounds` times; print the row.
fn timed_blocking(config: &Config, name: &str, work: impl Fn(String) -> bool) {
    if std::env::var("BENCH_ONLY").is_ok_and(|only| only != name) {
        return;
    }
    let before = accepts_blocking(&config.status_url);
    let (mut seconds, mut cpu) = (Vec::new(), Vec::new());
    for round in 0..config.rounds {
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        for i in 0..config.calls {
            assert!(
                work(token(name, round, i)),
                "{name}: a validation did not pass"
            );
        }
        seconds.push(started.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - cpu_before);
    }
    let connections = accepts_blocking(&config.status_url) - before - 1;
    println!(
        "{}",
        json!({ "row": name, "calls": config.calls, "seconds": seconds, "cpu_s": cpu, "connections": connections })
    );
}

/// The sequential rows: the blocking API on a plain thread (no hop to
/// another thread: the call runs on this thread's own runtime).
fn passgate_blocking_rows(config: &Config) {
    for provider in ["recaptcha", "captchala", "hcaptcha", "turnstile"] {
        let verifier = verifier(config, provider);
        let validate = |token: String| {
            let mut request = ValidateRequest::new(Some(&token));
            request.client_ip = Some("127.0.0.1".into());
            verifier.validate_blocking(request).is_ok_and(|o| o.ok())
        };
        assert!(validate(token("warm-up", 0, 0)), "{provider} warm-up");
        // The reCAPTCHA row is the one compared; the others show that the
        // providers cost the same.
        let name = if provider == "recaptcha" {
            "rust passgate 1".to_string()
        } else {
            format!("rust passgate {provider} 1")
        };
        timed_blocking(config, &name, validate);
    }
}

fn verifier(config: &Config, provider: &str) -> Verifier {
    Verifier::new(Options {
        provider: Some(provider.into()),
        app_key: (provider == "captchala").then(|| "bench-app-key".into()),
        app_secret: (provider == "captchala").then(|| config.secret.clone()),
        secret_key: (provider != "captchala").then(|| config.secret.clone()),
        api_base: Some(config.base.clone()),
        ca_file: Some(config.ca.clone()),
        environment: Some("production".into()),
        ..Options::default()
    })
    .expect("verifier")
}

/// Through the async API (spawned onto the core's runtime), as Node's
/// promises make them: sequential, then 8 and 64 in flight.
async fn passgate_async_rows(config: &Config) {
    let verifier = verifier(config, "recaptcha");
    let validate = move |token: String| {
        let verifier = verifier.clone();
        async move {
            let mut request = ValidateRequest::new(Some(&token));
            request.client_ip = Some("127.0.0.1".into());
            verifier.validate(request).await.is_ok_and(|o| o.ok())
        }
    };
    assert!(validate(token("warm-up", 0, 1)).await, "warm-up");
    // `async 1`: sequential through the async API, which hops to the
    // core's I/O thread and back; next to `rust passgate 1` it shows what
    // the hop costs, in the same run.
    for in_flight in [1, 8, 64] {
        let name = match in_flight {
            1 => "rust passgate async 1".to_string(),
            n => format!("rust passgate {n}"),
        };
        timed(config, &name, in_flight, validate.clone()).await;
    }
}

async fn reqwest_rows(config: &Config) {
    let pem = std::fs::read(&config.ca).expect("ca");
    let client = reqwest::Client::builder()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).expect("pem"))
        .build()
        .expect("client");
    let url = format!("{}/recaptcha/api/siteverify", config.base);
    let secret = config.secret.clone();
    let post = move |token: String| {
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        async move {
            let body = format!("secret={secret}&response={token}&remoteip=127.0.0.1");
            let answer = client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await;
            let Ok(answer) = answer else { return false };
            let Ok(bytes) = answer.bytes().await else {
                return false;
            };
            serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| v["success"] == true)
        }
    };
    assert!(post(token("warm-up", 0, 1)).await);
    for in_flight in [1, 64] {
        timed(
            config,
            &format!("rust reqwest {in_flight}"),
            in_flight,
            post.clone(),
        )
        .await;
    }
}

fn main() {
    let Ok(text) = std::env::var("BENCH_CONFIG") else {
        eprintln!("upstream bench: run through `make bench` (bench/run.py sets BENCH_CONFIG)");
        return;
    };
    let value: Value = serde_json::from_str(&text).expect("BENCH_CONFIG");
    let config = Config {
        base: value["base"].as_str().expect("base").into(),
        ca: value["ca"].as_str().expect("ca").into(),
        secret: value["secret"].as_str().expect("secret").into(),
        calls: value["calls"].as_u64().expect("calls") as usize,
        rounds: value["rounds"].as_u64().expect("rounds") as usize,
        status_url: value["status_url"].as_str().expect("status_url").into(),
    };
    passgate_blocking_rows(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        passgate_async_rows(&config).await;
        reqwest_rows(&config).await;
    });
}
