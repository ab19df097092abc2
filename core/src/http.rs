//! The HTTP exchange every upstream call shares (DESIGN §7): one POST within
//! a total deadline, never a redirect, one retry only when the request surely
//! never left, the answer capped at 64 KiB, and every transport failure named
//! by a short stable code that goes into `upstream_error`.

use std::error::Error as StdError;
use std::time::{Duration, Instant};

/// Larger answers are treated as a broken upstream.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// `upstream_error` codes for calls that got no usable answer.
pub mod transport {
    /// Nothing listens on the upstream's port.
    pub const CONNECT_REFUSED: &str = "connect_refused";
    /// The connection could not be made for another reason (unreachable).
    pub const CONNECT_FAILED: &str = "connect_failed";
    /// The upstream's host name did not resolve.
    pub const DNS: &str = "dns";
    /// The upstream's certificate is not trusted (unknown CA, wrong name,
    /// expired).
    pub const TLS_CERTIFICATE: &str = "tls_certificate";
    /// TLS failed for another reason (protocol, alert, not TLS at all).
    pub const TLS_HANDSHAKE: &str = "tls_handshake";
    /// `timeout_ms` passed before the answer was in.
    pub const TIMEOUT: &str = "timeout";
    /// The connection was reset or closed before the answer was complete.
    pub const CONNECTION_RESET: &str = "connection_reset";
    /// The answer was larger than 64 KiB.
    pub const BODY_TOO_LARGE: &str = "body_too_large";
    /// The upstream answered with a redirect (3xx); it is never followed.
    pub const REDIRECT_REFUSED: &str = "redirect_refused";
    /// Any other transport failure.
    pub const TRANSPORT: &str = "transport";

    /// Every code above, for docs and tests.
    pub const ALL: [&str; 10] = [
        CONNECT_REFUSED,
        CONNECT_FAILED,
        DNS,
        TLS_CERTIFICATE,
        TLS_HANDSHAKE,
        TIMEOUT,
        CONNECTION_RESET,
        BODY_TOO_LARGE,
        REDIRECT_REFUSED,
        TRANSPORT,
    ];
}

/// What came back over HTTP, before interpretation.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// HTTP status, or `None` when no response arrived.
    pub status: Option<u16>,
    /// The whole body, or the transport code saying why there is none
    /// (no response, a redirect, a failure while reading, over the cap).
    pub body: Result<Vec<u8>, &'static str>,
    pub attempts: u32,
    pub latency: Duration,
}

impl Exchange {
    /// An answer with `status` and `body` in one attempt, as the readers see
    /// it; for fuzzing and tests, which read answers without a network.
    pub(crate) fn answered(status: u16, body: &[u8]) -> Exchange {
        Exchange {
            status: Some(status),
            body: Ok(body.to_vec()),
            attempts: 1,
            latency: Duration::ZERO,
        }
    }
}

/// One POST: where, with which headers, and what.
pub(crate) struct Post<'a> {
    pub url: &'a str,
    pub headers: Vec<(&'static str, &'a str)>,
    pub content_type: &'static str,
    pub payload: String,
}

enum Attempt {
    Response(u16, Result<Vec<u8>, &'static str>),
    /// The request surely never left: worth one more try.
    NotSent(&'static str),
    Failed(&'static str),
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, &'static str> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(transport::BODY_TOO_LARGE);
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(transport::BODY_TOO_LARGE);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(classify(&e)),
        }
    }
}

async fn attempt(request: reqwest::RequestBuilder) -> Attempt {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                // The client follows no redirect; its body is not read either,
                // so that a 3xx can never carry an answer.
                return Attempt::Response(status, Err(transport::REDIRECT_REFUSED));
            }
            let body = read_capped(response).await;
            // The pool takes the connection back in a task of its own; let it
            // run first so that the next call finds the connection idle.
            tokio::task::yield_now().await;
            Attempt::Response(status, body)
        }
        Err(e) => {
            let code = classify(&e);
            let not_sent = e.is_connect()
                && matches!(
                    code,
                    transport::CONNECT_REFUSED | transport::CONNECT_FAILED | transport::TIMEOUT
                );
            if not_sent {
                Attempt::NotSent(code)
            } else {
                Attempt::Failed(code)
            }
        }
    }
}

/// POST within `timeout` overall; one retry when the first attempt surely
/// never reached the upstream and time is left.
pub(crate) async fn post(client: &reqwest::Client, post: Post<'_>, timeout: Duration) -> Exchange {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut request = client
            .post(post.url)
            .header("Content-Type", post.content_type)
            .body(post.payload.clone());
        for (name, value) in &post.headers {
            request = request.header(*name, *value);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let (status, body) = match tokio::time::timeout(remaining, attempt(request)).await {
            Ok(Attempt::Response(status, body)) => (Some(status), body),
            Ok(Attempt::NotSent(_)) if attempts < 2 && Instant::now() < deadline => continue,
            Ok(Attempt::NotSent(code) | Attempt::Failed(code)) => (None, Err(code)),
            Err(_) => (None, Err(transport::TIMEOUT)),
        };
        return Exchange {
            status,
            body,
            attempts,
            latency: started.elapsed(),
        };
    }
}

fn tls_code(error: &rustls::Error) -> &'static str {
    match error {
        rustls::Error::InvalidCertificate(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::UnsupportedNameType
        | rustls::Error::InvalidCertRevocationList(_) => transport::TLS_CERTIFICATE,
        _ => transport::TLS_HANDSHAKE,
    }
}

/// The stable code for a transport failure: typed causes first (rustls and
/// I/O errors in the source chain), then the chain's text.
pub(crate) fn classify(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        return transport::TIMEOUT;
    }
    let mut text = String::new();
    let mut source: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_code(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            // A TLS error travels inside an io::Error, whose source() skips it.
            if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return tls_code(tls);
            }
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused => return transport::CONNECT_REFUSED,
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                    return transport::CONNECTION_RESET
                }
                TimedOut => return transport::TIMEOUT,
                _ => {}
            }
        }
        text.push_str(&e.to_string().to_ascii_lowercase());
        text.push('\n');
        source = e.source();
    }
    classify_text(&text, error.is_connect())
}

/// What the error chain's text says, for causes that carry no type we can
/// name (the resolver's and hyper's).
pub(crate) fn classify_text(text: &str, is_connect: bool) -> &'static str {
    let has = |needle: &str| text.contains(needle);
    if has("dns error") || has("failed to lookup address") || has("name or service not known") {
        transport::DNS
    } else if has("certificate") {
        transport::TLS_CERTIFICATE
    } else if has("tls")
        || has("handshake")
        || has("corrupt message")
        || has("alert")
        || has("peer is incompatible")
        || has("peer misbehaved")
    {
        transport::TLS_HANDSHAKE
    } else if has("connection closed before message completed")
        || has("connection reset")
        || has("broken pipe")
        || has("unexpected eof")
    {
        transport::CONNECTION_RESET
    } else if has("timed out") {
        transport::TIMEOUT
    } else if is_connect {
        transport::CONNECT_FAILED
    } else {
        transport::TRANSPORT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_text_names_the_cause() {
        let cases = [
            (
                "error sending request\nclient error (connect)\ndns error\nfailed to lookup address information: name or service not known",
                true,
                transport::DNS,
            ),
            (
                "error sending request\ninvalid peer certificate: unknownissuer",
                true,
                transport::TLS_CERTIFICATE,
            ),
            (
                "error sending request\nreceived corrupt message of type invalidcontenttype\ntls handshake eof",
                true,
                transport::TLS_HANDSHAKE,
            ),
            (
                "error sending request\nconnection closed before message completed",
                false,
                transport::CONNECTION_RESET,
            ),
            ("error sending request\nhost unreachable", true, transport::CONNECT_FAILED),
            ("something new", false, transport::TRANSPORT),
        ];
        for (text, is_connect, code) in cases {
            assert_eq!(classify_text(text, is_connect), code, "{text}");
        }
    }

    #[test]
    fn codes_are_machine_codes() {
        for code in transport::ALL {
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
    }
}
