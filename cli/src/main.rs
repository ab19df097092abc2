//! The `passgate` command: validate, issue, mock, demo.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use passgate_cli::{demo, mock};
use passgate_core::doctor;
use passgate_core::{IssueRequest, Options, ValidateRequest, Verifier};

/// passgate — server-side CAPTCHA pass-token verification.
///
/// validate and issue read their configuration from the environment
/// (PASSGATE_PROVIDER, CAPTCHALA_APP_KEY, PASSGATE_SECRET_KEY,
/// PASSGATE_API_BASE, ...; `passgate options` lists them all).
#[derive(Parser)]
#[command(name = "passgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate one pass token; prints the outcome and its log record as JSON.
    /// Exits 0 when it passed, 1 when it did not, 2 on a usage or
    /// configuration error.
    Validate {
        /// The pass token, as the form posted it.
        token: String,
        /// The action the token must have been solved for.
        #[arg(long)]
        action: Option<String>,
        /// The client's IP address.
        #[arg(long)]
        client_ip: Option<String>,
        /// The uid the token must be bound to.
        #[arg(long)]
        uid: Option<String>,
        /// Ask the provider to keep the token valid; claims nothing locally.
        #[arg(long)]
        keep_token: bool,
    },
    /// Issue a server token for ACTION (CaptchaLa).
    Issue {
        action: String,
        #[arg(long)]
        binding_ip: Option<String>,
        /// Lifetime in seconds (the server caps it).
        #[arg(long)]
        ttl: Option<u64>,
        #[arg(long)]
        max_uses: Option<u64>,
        #[arg(long)]
        bind_uid: Option<String>,
    },
    /// Run the local emulator; prints its base URL as the first line.
    Mock {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// 0 picks a free port.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Serve HTTPS with a throwaway CA (see --ca-out).
        #[arg(long)]
        tls: bool,
        /// Write the throwaway CA's PEM here.
        #[arg(long, value_name = "FILE")]
        ca_out: Option<String>,
        /// Scripted answers: a conformance/cases.json or a {token: script} map.
        #[arg(long, value_name = "FILE")]
        script: Option<String>,
        #[arg(long, default_value = mock::DEFAULT_APP_KEY)]
        app_key: String,
        #[arg(long, default_value = mock::DEFAULT_APP_SECRET)]
        app_secret: String,
        /// The siteverify secret accepted (besides each provider's test secrets).
        #[arg(long, default_value = mock::DEFAULT_SECRET_KEY)]
        secret_key: String,
        /// The hCaptcha site key accepted as `sitekey`.
        #[arg(long, default_value = mock::DEFAULT_SITE_KEY)]
        site_key: String,
        /// Seconds added to every answer's Date header (a skewed clock).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        date_skew_s: i64,
        /// Exit when standard input closes (for test harnesses).
        #[arg(long)]
        exit_with_stdin: bool,
    },
    /// Check this deployment: configuration, connection to the provider,
    /// keys, clock and replay store, read from the environment as the
    /// bindings read it. Exits 0 when nothing fails, 1 when a check fails
    /// (warnings do not fail), 2 on a usage error.
    Doctor {
        /// Print the checks as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Walk through the failure modes against a built-in emulator.
    Demo,
    /// Print the option table (names, environment variables, defaults).
    Options {
        /// As the Markdown table docs/configuration.md carries.
        #[arg(long)]
        markdown: bool,
    },
    /// Print each provider's widget loader, form field and CSP sources, as
    /// the Markdown table docs/widget.md carries.
    Csp,
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn validate(request: ValidateRequest) -> Result<ExitCode, String> {
    let verifier = Verifier::new(Options::default()).map_err(|e| e.to_string())?;
    let outcome = verifier
        .validate_blocking(request)
        .map_err(|e| e.to_string())?;
    print_json(&outcome.to_json());
    Ok(if outcome.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn issue(request: IssueRequest) -> Result<ExitCode, String> {
    let verifier = Verifier::new(Options::default()).map_err(|e| e.to_string())?;
    let token = verifier
        .issue_server_token_blocking(request)
        .map_err(|e| e.to_string())?;
    print_json(&serde_json::json!({
        "server_token": token.server_token,
        "expires_in": token.expires_in,
        "issued_at": token.issued_at,
    }));
    Ok(ExitCode::SUCCESS)
}

fn run_mock(
    bind: SocketAddr,
    options: mock::MockOptions,
    script: Option<String>,
    ca_out: Option<String>,
    exit_with_stdin: bool,
) -> Result<ExitCode, String> {
    let scripts = match script {
        None => Default::default(),
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("--script {path}: {e}"))?;
            mock::load_scripts(&text).map_err(|e| format!("--script {path}: {e}"))?
        }
    };
    let options = mock::MockOptions { scripts, ..options };
    if exit_with_stdin {
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
        if let (Some(path), Some(pem)) = (ca_out, &bound.ca_pem) {
            std::fs::write(&path, pem).map_err(|e| format!("--ca-out {path}: {e}"))?;
        }
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{}", bound.base_url).map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
        eprintln!(
            "passgate mock: serving CaptchaLa and the reCAPTCHA, hCaptcha and Turnstile siteverify endpoints at {} (stats: GET /__mock/stats)",
            bound.base_url
        );
        bound.serve().await;
        Ok::<_, String>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Validate {
            token,
            action,
            client_ip,
            uid,
            keep_token,
        } => validate(ValidateRequest {
            token: Some(token),
            client_ip,
            action,
            uid,
            keep_token,
        }),
        Command::Issue {
            action,
            binding_ip,
            ttl,
            max_uses,
            bind_uid,
        } => issue(IssueRequest {
            action,
            binding_ip,
            ttl,
            max_uses,
            bind_uid,
        }),
        Command::Mock {
            host,
            port,
            tls,
            ca_out,
            script,
            app_key,
            app_secret,
            secret_key,
            site_key,
            date_skew_s,
            exit_with_stdin,
        } => {
            let bind: SocketAddr = format!("{host}:{port}")
                .parse()
                .or_else(|_| format!("[{host}]:{port}").parse())
                .map_err(|_| format!("--host/--port: {host}:{port} is not an address"))?;
            let options = mock::MockOptions {
                bind,
                app_key,
                app_secret,
                secret_key,
                site_key,
                tls,
                date_skew_s,
                ..mock::MockOptions::default()
            };
            run_mock(bind, options, script, ca_out, exit_with_stdin)
        }
        Command::Csp => {
            print!("{}", passgate_core::csp_markdown_table());
            Ok(ExitCode::SUCCESS)
        }
        Command::Options { markdown } => {
            if markdown {
                print!("{}", Options::markdown_table());
            } else {
                for spec in passgate_core::OPTIONS {
                    println!(
                        "{:<26} {:<30} {}",
                        spec.name,
                        spec.env.unwrap_or("-"),
                        spec.doc
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { json } => {
            let report = doctor::run(doctor::Input::from_env(&doctor::process_env));
            if json {
                print_json(&report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            Ok(if report.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Demo => demo::run(&mut std::io::stdout()).map(|ok| {
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }),
    }
}

fn main() -> ExitCode {
    // Parse errors (an unknown flag, a missing value, an argument that is
    // not UTF-8) exit 2; clap never echoes a value it could not decode.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    run(cli.command).unwrap_or_else(|message| {
        eprintln!("passgate: {message}");
        ExitCode::from(2)
    })
}
