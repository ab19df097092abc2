//! Check 2: reaching the provider's API — DNS, TCP, TLS, each timed — and
//! the answer's `Date` header for the clock check.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{redact_url, Config};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use super::proxy::{connect_tunnel, https_proxy, Proxy};
use super::{Check, Status};

const NAME: &str = "connection";

/// The proxy variables the core (or a shell tool) may use.
const PROXY_VARS: [&str; 7] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
];

fn ms(elapsed: Duration) -> String {
    format!("{:.1} ms", elapsed.as_secs_f64() * 1000.0)
}

/// The connection check and, when an answer came, its `Date` (unix seconds)
/// or why there is none.
///
/// With `backup_too`, CaptchaLa's `backup_api_base` (where `offline_` tokens
/// are validated) is reached as well; it failing is a warning, since only
/// those tokens need it.
pub fn connection(
    config: &Config,
    backup_too: bool,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> (Check, Option<Result<i64, String>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return (
                Check::new(NAME, Status::Fail, format!("runtime: {e}")),
                None,
            )
        }
    };
    let proxy = https_proxy(config, lookup);
    let via = proxy.as_ref().map(|p| format!("{}:{}", p.host, p.port));
    let (mut check, date) = runtime.block_on(probe(config, proxy));
    if backup_too && config.backup_api_base != config.api_base {
        let backup = Config {
            api_base: config.backup_api_base.clone(),
            ..config.clone()
        };
        let proxy = https_proxy(&backup, lookup);
        let (reached, _) = runtime.block_on(probe(&backup, proxy));
        let shown = redact_url(&backup.api_base);
        if reached.status == Status::Fail {
            check = check.detail("backup_api_base", format!("{shown}: {}", reached.summary));
            if check.status == Status::Pass {
                check.status = Status::Warn;
                check.summary = format!(
                    "{}; backup_api_base is not reachable (offline_ tokens will fail)",
                    check.summary
                );
                let advice = reached.advice.unwrap_or_default().replace(
                    "api_base (PASSGATE_API_BASE)",
                    "backup_api_base (PASSGATE_BACKUP_API_BASE)",
                );
                check = check.advice(format!(
                    "backup_api_base (PASSGATE_BACKUP_API_BASE): {advice}"
                ));
            }
        } else {
            check = check.detail("backup_api_base", format!("{shown}: reachable"));
        }
    }
    let mut proxies = Vec::new();
    for var in PROXY_VARS {
        if let Some(value) = lookup(var).filter(|v| !v.trim().is_empty()) {
            let shown = if var.eq_ignore_ascii_case("NO_PROXY") {
                value
            } else {
                redact_url(value.trim())
            };
            proxies.push(format!("{var}={shown}"));
        }
    }
    check = if proxies.is_empty() {
        check.detail("proxy", "none (HTTPS_PROXY etc. not set)")
    } else {
        check.detail(
            "proxy",
            format!(
                "{} (the core uses HTTPS_PROXY for https:// only, honouring NO_PROXY, never HTTP_PROXY/ALL_PROXY; {})",
                proxies.join(", "),
                match via {
                    Some(via) => format!("this check went through {via} as the core does"),
                    None => "api_base is reached directly".to_string(),
                }
            ),
        )
    };
    (check, date)
}

async fn probe(config: &Config, proxy: Option<Proxy>) -> (Check, Option<Result<i64, String>>) {
    let timeout = config.timeout;
    let base = config.api_base.as_str();
    let fail = |summary: String, advice: &str| {
        Check::new(NAME, Status::Fail, summary)
            .detail("api_base", redact_url(base))
            .advice(advice)
    };
    let url = match url::Url::parse(base) {
        Ok(url) => url,
        Err(e) => {
            return (
                fail(
                    format!("api_base is not a URL ({e})"),
                    "fix api_base (PASSGATE_API_BASE)",
                ),
                None,
            )
        }
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return (
            fail(
                "api_base has no host".into(),
                "fix api_base (PASSGATE_API_BASE)",
            ),
            None,
        );
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let https = url.scheme() == "https";
    let (dial_host, dial_port) = match &proxy {
        Some(proxy) => (proxy.host.clone(), proxy.port),
        None => (host.clone(), port),
    };

    let started = Instant::now();
    let addrs = match tokio::time::timeout(
        timeout,
        tokio::net::lookup_host((dial_host.as_str(), dial_port)),
    )
    .await
    {
        Ok(Ok(addrs)) => addrs.collect::<Vec<_>>(),
        Ok(Err(e)) => {
            return (
                fail(
                    format!("DNS: {dial_host} does not resolve ({e})"),
                    "check the host name in api_base (PASSGATE_API_BASE) and this host's resolver (/etc/resolv.conf)",
                ),
                None,
            )
        }
        Err(_) => {
            return (
                fail(
                    format!("DNS: resolving {dial_host} took longer than timeout_ms"),
                    "check this host's resolver (/etc/resolv.conf)",
                ),
                None,
            )
        }
    };
    let dns_time = started.elapsed();
    let Some(addr) = addrs.first().copied() else {
        return (
            fail(
                format!("DNS: {dial_host} has no address"),
                "check the host name in api_base (PASSGATE_API_BASE)",
            ),
            None,
        );
    };
    let mut check = Check::new(NAME, Status::Pass, "")
        .detail("api_base", redact_url(base))
        .detail("dns", format!("{dial_host} → {addr} in {}", ms(dns_time)));

    let started = Instant::now();
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => {
            check.status = Status::Fail;
            check.summary = format!("TCP: cannot connect to {addr} ({e})");
            return (
                check.advice("check that the provider's host and port are right and that no firewall blocks outgoing connections to it"),
                None,
            );
        }
        Err(_) => {
            check.status = Status::Fail;
            check.summary = format!("TCP: connecting to {addr} took longer than timeout_ms");
            return (
                check.advice("a firewall may drop outgoing connections to the provider; allow them, or set HTTPS_PROXY"),
                None,
            );
        }
    };
    let mut tcp = tcp;
    let _ = tcp.set_nodelay(true);
    check = check.detail("tcp", format!("connected in {}", ms(started.elapsed())));
    if let Some(proxy) = &proxy {
        let started = Instant::now();
        let tunnel =
            tokio::time::timeout(timeout, connect_tunnel(&mut tcp, proxy, &host, port)).await;
        match tunnel {
            Ok(Ok(())) => {
                check = check.detail(
                    "proxy_tunnel",
                    format!(
                        "CONNECT {host}:{port} via {}:{} in {}",
                        proxy.host,
                        proxy.port,
                        ms(started.elapsed())
                    ),
                );
            }
            Ok(Err(why)) => {
                check.status = Status::Fail;
                check.summary = format!("proxy {}:{}: {why}", proxy.host, proxy.port);
                return (
                    check.advice("check HTTPS_PROXY (its address and credentials) or add the provider's host to NO_PROXY"),
                    None,
                );
            }
            Err(_) => {
                check.status = Status::Fail;
                check.summary = format!(
                    "proxy {}:{}: no answer to CONNECT within timeout_ms",
                    proxy.host, proxy.port
                );
                return (check.advice("check HTTPS_PROXY"), None);
            }
        }
    }

    if !https {
        check.summary = format!("reached {host}:{port} over plain HTTP (no TLS)");
        let date = read_date(tcp, &host, config).await;
        return (check, Some(date));
    }

    let tls_config = match client_config(config.extra_ca_pem.as_deref()) {
        Ok(tls_config) => tls_config,
        Err(e) => {
            check.status = Status::Fail;
            check.summary = format!("TLS: cannot set up ({e})");
            return (check.advice("check ca_file (PASSGATE_CA_FILE)"), None);
        }
    };
    let Ok(server_name) = rustls::pki_types::ServerName::try_from(host.clone()) else {
        check.status = Status::Fail;
        check.summary = format!("TLS: {host} is not a valid server name");
        return (check.advice("fix api_base (PASSGATE_API_BASE)"), None);
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config));
    let started = Instant::now();
    match tokio::time::timeout(timeout, connector.connect(server_name, tcp)).await {
        Ok(Ok(tls)) => {
            let version = tls
                .get_ref()
                .1
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default();
            check = check.detail(
                "tls",
                format!(
                    "handshake in {}, {version}, certificate trusted",
                    ms(started.elapsed())
                ),
            );
            check.summary = format!("reached {host}:{port} over TLS");
            let date = read_date(tls, &host, config).await;
            (check, Some(date))
        }
        Ok(Err(e)) => {
            let certificate = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|tls| {
                    matches!(
                        tls,
                        rustls::Error::InvalidCertificate(_)
                            | rustls::Error::NoCertificatesPresented
                    )
                });
            check.status = Status::Fail;
            if certificate {
                check.summary = format!("TLS: {host}'s certificate is not trusted ({e})");
                (
                    check.advice(
                        "if the API sits behind a private CA (or a TLS-inspecting proxy), set ca_file (PASSGATE_CA_FILE) to that CA's PEM; otherwise check api_base's host name and the certificate's expiry",
                    ),
                    None,
                )
            } else {
                check.summary = format!("TLS: handshake with {host} failed ({e})");
                (
                    check.advice("check that api_base's port speaks TLS (use http:// only for a local emulator) and that no proxy interferes"),
                    None,
                )
            }
        }
        Err(_) => {
            check.status = Status::Fail;
            check.summary = format!("TLS: the handshake with {host} took longer than timeout_ms");
            (check.advice("check that api_base's port speaks TLS"), None)
        }
    }
}

/// The platform's trust store plus `ca_file`: what the core's client trusts.
fn client_config(extra_ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = match extra_ca_pem {
        None => rustls_platform_verifier::Verifier::new(provider.clone()),
        Some(pem) => {
            let roots = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("ca_file: {e}"))?;
            rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone())
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// One `GET` of the verify path (no secret sent) to read the answer's
/// `Date` header.
async fn read_date<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    host: &str,
    config: &Config,
) -> Result<i64, String> {
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: passgate-doctor\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        config.provider.verify_path()
    );
    let read = async {
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("cannot send a request ({e})"))?;
        let mut head = Vec::new();
        let mut buffer = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
            let n = stream
                .read(&mut buffer)
                .await
                .map_err(|e| format!("no answer ({e})"))?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..n]);
        }
        Ok::<_, String>(head)
    };
    let head = tokio::time::timeout(config.timeout, read)
        .await
        .map_err(|_| "the provider did not answer within timeout_ms".to_string())??;
    let text = String::from_utf8_lossy(&head);
    let date = text
        .lines()
        .skip(1)
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("date")
                .then(|| value.trim().to_string())
        })
        .ok_or_else(|| "the provider's answer has no Date header".to_string())?;
    super::parse_http_date(&date)
        .ok_or_else(|| "the provider's Date header is not an HTTP date".into())
}
