//! The `passgate` command: validate, issue, mock, demo.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use passgate_cli::{demo, mock};
use passgate_core::{IssueRequest, Options, ValidateRequest, Verifier};

const USAGE: &str = "\
passgate — server-side CAPTCHA pass-token verification

USAGE:
  passgate validate TOKEN [--action A] [--client-ip IP] [--uid U] [--keep-token]
  passgate issue ACTION [--binding-ip IP] [--ttl S] [--max-uses N] [--bind-uid U]
  passgate mock [--host H] [--port P] [--tls] [--ca-out FILE] [--script FILE]
                [--app-key K] [--app-secret S] [--exit-with-stdin]
  passgate demo

validate and issue read their configuration from the environment
(CAPTCHALA_APP_KEY, CAPTCHALA_APP_SECRET, PASSGATE_API_BASE, ...).
mock prints its base URL as the first line of output.";

/// `--flag value` pairs and bare `--switch`es after the positional argument.
struct Args {
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

const SWITCHES: [&str; 3] = ["--tls", "--keep-token", "--exit-with-stdin"];

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        positional: Vec::new(),
        flags: Vec::new(),
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if SWITCHES.contains(&arg.as_str()) {
            parsed.flags.push((arg.clone(), None));
        } else if arg.starts_with("--") {
            let value = iter.next().ok_or_else(|| format!("{arg} needs a value"))?;
            parsed.flags.push((arg.clone(), Some(value.clone())));
        } else {
            parsed.positional.push(arg.clone());
        }
    }
    Ok(parsed)
}

impl Args {
    fn value(&self, name: &str) -> Option<String> {
        self.flags
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
    }
    fn switch(&self, name: &str) -> bool {
        self.flags.iter().any(|(k, _)| k == name)
    }
    fn number(&self, name: &str) -> Result<Option<u64>, String> {
        self.value(name)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| format!("{name} must be a whole number"))
            })
            .transpose()
    }
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self
            .flags
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_str()))
        {
            Some((k, _)) => Err(format!("unknown option {k}")),
            None => Ok(()),
        }
    }
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn validate(args: &Args) -> Result<ExitCode, String> {
    args.only(&["--action", "--client-ip", "--uid", "--keep-token"])?;
    let [token] = args.positional.as_slice() else {
        return Err("validate takes exactly one TOKEN".into());
    };
    let verifier = Verifier::new(Options::default()).map_err(|e| e.to_string())?;
    let outcome = verifier
        .validate_blocking(ValidateRequest {
            token: Some(token.clone()),
            client_ip: args.value("--client-ip"),
            action: args.value("--action"),
            uid: args.value("--uid"),
            keep_token: args.switch("--keep-token"),
        })
        .map_err(|e| e.to_string())?;
    print_json(&outcome.to_json());
    Ok(if outcome.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn issue(args: &Args) -> Result<ExitCode, String> {
    args.only(&["--binding-ip", "--ttl", "--max-uses", "--bind-uid"])?;
    let [action] = args.positional.as_slice() else {
        return Err("issue takes exactly one ACTION".into());
    };
    let verifier = Verifier::new(Options::default()).map_err(|e| e.to_string())?;
    let token = verifier
        .issue_server_token_blocking(IssueRequest {
            action: action.clone(),
            binding_ip: args.value("--binding-ip"),
            ttl: args.number("--ttl")?,
            max_uses: args.number("--max-uses")?,
            bind_uid: args.value("--bind-uid"),
        })
        .map_err(|e| e.to_string())?;
    print_json(&serde_json::json!({
        "server_token": token.server_token,
        "expires_in": token.expires_in,
        "issued_at": token.issued_at,
    }));
    Ok(ExitCode::SUCCESS)
}

fn run_mock(args: &Args) -> Result<ExitCode, String> {
    args.only(&[
        "--host",
        "--port",
        "--tls",
        "--ca-out",
        "--script",
        "--app-key",
        "--app-secret",
        "--exit-with-stdin",
    ])?;
    let host = args.value("--host").unwrap_or_else(|| "127.0.0.1".into());
    let port = args.number("--port")?.unwrap_or(0);
    let bind: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|_| format!("--host/--port: {host}:{port} is not an address"))?;
    let scripts = match args.value("--script") {
        None => Default::default(),
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("--script {path}: {e}"))?;
            mock::load_scripts(&text).map_err(|e| format!("--script {path}: {e}"))?
        }
    };
    let options = mock::MockOptions {
        bind,
        app_key: args
            .value("--app-key")
            .unwrap_or_else(|| mock::DEFAULT_APP_KEY.into()),
        app_secret: args
            .value("--app-secret")
            .unwrap_or_else(|| mock::DEFAULT_APP_SECRET.into()),
        tls: args.switch("--tls"),
        scripts,
    };
    if args.switch("--exit-with-stdin") {
        // The parent holds our stdin: when it goes away, so do we.
        std::thread::spawn(|| {
            let mut sink = String::new();
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            while lock.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
            std::process::exit(0);
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let bound = mock::bind(options)
            .await
            .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
        if let (Some(path), Some(pem)) = (args.value("--ca-out"), &bound.ca_pem) {
            std::fs::write(&path, pem).map_err(|e| format!("--ca-out {path}: {e}"))?;
        }
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{}", bound.base_url).map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
        eprintln!(
            "passgate mock: serving the CaptchaLa API at {} (stats: GET /__mock/stats)",
            bound.base_url
        );
        bound.serve().await;
        Ok::<_, String>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        "-V" | "--version" => {
            println!("passgate {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        "demo" => demo::run(&mut std::io::stdout()).map(|ok| {
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }),
        other => parse(rest).and_then(|args| match other {
            "validate" => validate(&args),
            "issue" => issue(&args),
            "mock" => run_mock(&args),
            _ => Err(format!("unknown command {other:?}\n\n{USAGE}")),
        }),
    };
    result.unwrap_or_else(|message| {
        eprintln!("passgate: {message}");
        ExitCode::from(2)
    })
}
