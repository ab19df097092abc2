//! `make bench`: local-check cost, and sequential validations per second
//! against the emulator — passgate's pooled client vs. a baseline that builds
//! a new HTTP client per call (what the official SDKs do) — over HTTP and TLS,
//! for CaptchaLa and each siteverify provider.
//! Prints medians and the ratio measured in the same run.

use std::time::{Duration, Instant};

use passgate_cli::mock::{
    MockOptions, MockServer, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, DEFAULT_SECRET_KEY,
};
use passgate_core::{
    fingerprint, Config, MemoryStore, Options, OutcomeCode, ProviderKind, ValidateRequest, Verifier,
};

const ROUNDS: usize = 5;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// ns per local check: fingerprint + memory claim + the core's expiry check.
fn local_checks() -> f64 {
    let config = Config::resolve(Options {
        app_key: Some("k".into()),
        app_secret: Some(DEFAULT_APP_SECRET.into()),
        ..Options::default()
    })
    .expect("config");
    let ttl = config.claim_ttl();
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let tokens: Vec<String> = (0..200_000)
        .map(|i| format!("pt_bench_{i:08}_abcdefghijklmnopqrstuvwxyz0123456789"))
        .collect();
    let samples = (0..ROUNDS)
        .map(|_| {
            let store = MemoryStore::new(1_000_000);
            let started = Instant::now();
            let mut expired = 0usize;
            for (i, token) in tokens.iter().enumerate() {
                let fp = fingerprint(DEFAULT_APP_SECRET, token);
                assert!(store.claim_now(&fp, ttl).is_some());
                // solved 0..400 s ago: some expired, most not.
                let age_ms = passgate_core::token_age_ms(now_s - (i % 400) as i64);
                expired += usize::from(config.is_expired(age_ms));
            }
            std::hint::black_box(expired);
            started.elapsed().as_nanos() as f64 / tokens.len() as f64
        })
        .collect();
    median(samples)
}

/// ns to refuse a 10 MB token (length checked first), and ns to
/// fingerprint it (what refusing cost when the HMAC came first).
fn oversized_token() -> (f64, f64) {
    let huge = format!("pt_{}", "a".repeat(10 * 1024 * 1024));
    let time = |work: &dyn Fn()| {
        median(
            (0..ROUNDS)
                .map(|_| {
                    let started = Instant::now();
                    for _ in 0..20 {
                        work();
                    }
                    started.elapsed().as_secs_f64() * 1e9 / 20.0
                })
                .collect(),
        )
    };
    let refuse = time(&|| {
        let verdict = passgate_core::fuzzing::inspect_token(Some(&huge), DEFAULT_APP_SECRET);
        assert_eq!(verdict.0, Some(OutcomeCode::MalformedToken));
        std::hint::black_box(verdict);
    });
    let hash = time(&|| {
        std::hint::black_box(fingerprint(DEFAULT_APP_SECRET, std::hint::black_box(&huge)));
    });
    (refuse, hash)
}

fn passgate_rate(verifier: &Verifier, prefix: &str, calls: usize) -> f64 {
    // Warm the pool, then measure.
    let _ = verifier.validate_blocking(ValidateRequest::new(Some(&format!("pt_{prefix}_warm"))));
    let started = Instant::now();
    for i in 0..calls {
        let outcome = verifier
            .validate_blocking(ValidateRequest::new(Some(&format!("pt_{prefix}_{i}"))))
            .expect("outcome");
        assert_eq!(outcome.code, OutcomeCode::Passed);
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

/// A new client per call, as the official SDKs do: CaptchaLa's JSON call or
/// a siteverify form POST.
fn baseline_rate(
    runtime: &tokio::runtime::Runtime,
    base: &str,
    ca_pem: Option<&str>,
    provider: ProviderKind,
    prefix: &str,
    calls: usize,
) -> f64 {
    let url = format!("{base}{}", provider.verify_path());
    let started = Instant::now();
    runtime.block_on(async {
        for i in 0..calls {
            let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(5));
            if let Some(pem) = ca_pem {
                builder = builder.tls_certs_merge(
                    reqwest::Certificate::from_pem_bundle(pem.as_bytes()).expect("ca"),
                );
            }
            let client = builder.build().expect("client");
            let token = format!("pt_{prefix}_{i}");
            let request = if provider == ProviderKind::CaptchaLa {
                let body = serde_json::json!({ "pass_token": token, "keep_token": false });
                client
                    .post(&url)
                    .header("X-App-Key", DEFAULT_APP_KEY)
                    .header("X-App-Secret", DEFAULT_APP_SECRET)
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
            } else {
                client
                    .post(&url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(format!("secret={DEFAULT_SECRET_KEY}&response={token}"))
            };
            let answer = request
                .send()
                .await
                .expect("send")
                .bytes()
                .await
                .expect("body");
            let parsed: serde_json::Value = serde_json::from_slice(&answer).expect("json");
            let passed = parsed["data"]["valid"] == true || parsed["success"] == true;
            assert!(passed, "{parsed}");
        }
    });
    calls as f64 / started.elapsed().as_secs_f64()
}

/// Resident memory of this process (Linux).
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(0, |kib| kib * 1024)
}

/// Bytes per entry of the memory store at 1M entries.
fn memory_store_bytes_per_entry() -> f64 {
    let store = MemoryStore::new(1_000_000);
    let before = resident_bytes();
    for i in 0..1_000_000u64 {
        store.claim_now(&format!("{i:016x}"), Duration::from_secs(600));
    }
    (resident_bytes() - before) as f64 / 1_000_000.0
}

/// Commands the server has processed so far (`INFO stats`).
fn redis_commands_processed(port: u16) -> Option<u64> {
    let output = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "INFO", "stats"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Sequential claims against a local redis-server: claims/s, p50, p99 (µs),
/// and Redis commands (round trips: nothing is pipelined) per claim.
fn redis_claims(runtime: &tokio::runtime::Runtime) -> Option<(f64, f64, f64, f64)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let mut server = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let store = passgate_core::RedisStore::new(
        &format!("redis://127.0.0.1:{port}"),
        "bench:",
        Duration::from_secs(1),
        None,
    )
    .ok()?;
    let result = runtime.block_on(async {
        use passgate_core::ReplayStore;
        let _ = store.claim("warm", Duration::from_secs(60)).await;
        let commands_before = redis_commands_processed(port)?;
        let mut latencies = Vec::with_capacity(20_000);
        let started = Instant::now();
        for i in 0..20_000u64 {
            let t = Instant::now();
            let won = store
                .claim(&format!("{i:016x}"), Duration::from_secs(60))
                .await
                .ok()?;
            assert!(won.is_some());
            latencies.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let rate = 20_000.0 / started.elapsed().as_secs_f64();
        // The INFO call that reads the count is one command itself.
        let commands = redis_commands_processed(port)? - commands_before - 1;
        latencies.sort_by(f64::total_cmp);
        Some((
            rate,
            latencies[latencies.len() / 2],
            latencies[latencies.len() * 99 / 100],
            commands as f64 / 20_000.0,
        ))
    });
    let _ = server.kill();
    let _ = server.wait();
    result
}

fn main() {
    // First, while the process holds nothing else that could hide growth.
    let memory_bytes_per_entry = memory_store_bytes_per_entry();
    // `cargo bench` passes --bench; nothing else to parse.
    let calls: usize = std::env::var("PASSGATE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "passgate bench: median of {ROUNDS} rounds, {calls} sequential validations per round\n"
    );
    let local_ns = local_checks();
    let (oversized_ns, hashed_ns) = oversized_token();

    let mut rows = Vec::new();
    // CaptchaLa over HTTP and TLS, then each siteverify provider over TLS.
    let targets = [
        (ProviderKind::CaptchaLa, false),
        (ProviderKind::CaptchaLa, true),
        (ProviderKind::Recaptcha, true),
        (ProviderKind::Hcaptcha, true),
        (ProviderKind::Turnstile, true),
    ];
    for (provider, tls) in targets {
        let mock = MockServer::start(MockOptions {
            tls,
            ..MockOptions::default()
        })
        .expect("mock");
        let ca_path =
            std::env::temp_dir().join(format!("passgate-bench-ca-{}.pem", std::process::id()));
        if let Some(pem) = &mock.ca_pem {
            std::fs::write(&ca_path, pem).expect("write ca");
        }
        let keys = if provider == ProviderKind::CaptchaLa {
            Options {
                app_key: Some(DEFAULT_APP_KEY.into()),
                app_secret: Some(DEFAULT_APP_SECRET.into()),
                ..Options::default()
            }
        } else {
            Options {
                provider: Some(provider.as_str().into()),
                secret_key: Some(DEFAULT_SECRET_KEY.into()),
                ..Options::default()
            }
        };
        let verifier = Verifier::from_config(
            Config::resolve(Options {
                api_base: Some(mock.base_url.clone()),
                ca_file: tls.then(|| ca_path.to_string_lossy().into_owned()),
                ..keys
            })
            .expect("config"),
        );
        let label = format!(
            "{} over {}",
            provider.as_str(),
            if tls { "tls" } else { "http" }
        );
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut connections = (0, 0);
        for round in 0..ROUNDS {
            let before = mock.stats().connections_accepted;
            ours.push(passgate_rate(
                &verifier,
                &format!("{label}_pg_{round}").replace(' ', "_"),
                calls,
            ));
            let middle = mock.stats().connections_accepted;
            theirs.push(baseline_rate(
                &runtime,
                &mock.base_url,
                mock.ca_pem.as_deref(),
                provider,
                &format!("{label}_bl_{round}").replace(' ', "_"),
                calls,
            ));
            connections.0 += middle - before;
            connections.1 += mock.stats().connections_accepted - middle;
        }
        rows.push((label, median(ours), median(theirs), connections));
        let _ = std::fs::remove_file(&ca_path);
    }

    println!("| measurement                                  | passgate | baseline | ratio |");
    println!("|----------------------------------------------|---------:|---------:|------:|");
    println!(
        "| local checks, ns/op (fp + claim + expiry)     | {local_ns:>8.0} |        - |     - |"
    );
    println!(
        "| 10 MB token refused, ns (vs. hashing it)      | {oversized_ns:>8.0} | {hashed_ns:>8.0} | {:>4.0}x |",
        hashed_ns / oversized_ns.max(1.0)
    );
    for (label, ours, theirs, _) in &rows {
        println!(
            "| validations/s, sequential, {label:<19} | {ours:>8.0} | {theirs:>8.0} | {:>4.1}x |",
            ours / theirs
        );
    }
    println!();
    for (label, _, _, (ours, theirs)) in &rows {
        println!(
            "{label}: new TCP connections for {} calls: passgate {ours}, baseline {theirs}",
            ROUNDS * calls
        );
    }
    println!();
    match redis_claims(&runtime) {
        Some((rate, p50, p99, per_claim)) => println!(
            "redis store: {rate:.0} sequential claims/s, p50 {p50:.0} µs, p99 {p99:.0} µs, {per_claim:.2} Redis round trips per claim"
        ),
        None => println!("redis store: not measured (no redis-server on PATH)"),
    }
    println!("memory store: {memory_bytes_per_entry:.0} bytes per entry at 1M entries");
    println!("\ntargets: local checks <= 2000 ns/op; >= 5x the baseline over TLS; memory store <= 64 bytes/entry");
}
