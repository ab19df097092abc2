//! `HTTPS_PROXY` as the core's client uses it: for https:// APIs only,
//! honouring `NO_PROXY`, through a `CONNECT` tunnel.

use crate::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An http:// proxy for CONNECT tunnels.
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `Proxy-Authorization` value, from the URL's user and password.
    authorization: Option<String>,
}

/// The proxy the core would use for `api_base`: `HTTPS_PROXY` (or
/// `https_proxy`) for an https:// API whose host `NO_PROXY` does not name.
pub fn https_proxy(config: &Config, lookup: &dyn Fn(&str) -> Option<String>) -> Option<Proxy> {
    let api = url::Url::parse(&config.api_base).ok()?;
    if api.scheme() != "https" {
        return None;
    }
    let target = api
        .host_str()?
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let text = ["HTTPS_PROXY", "https_proxy"]
        .iter()
        .find_map(|var| lookup(var).filter(|v| !v.trim().is_empty()))?;
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|var| lookup(var))
        .unwrap_or_default();
    let excluded = no_proxy.split(',').map(str::trim).any(|entry| {
        let entry = entry
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .to_ascii_lowercase();
        entry == "*"
            || !entry.is_empty() && (target == entry || target.ends_with(&format!(".{entry}")))
    });
    if excluded {
        return None;
    }
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let url = url::Url::parse(&with_scheme).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let authorization = (!url.username().is_empty()).then(|| {
        format!(
            "Basic {}",
            base64(format!("{}:{}", url.username(), url.password().unwrap_or("")).as_bytes())
        )
    });
    Some(Proxy {
        host: url.host_str()?.trim_matches(['[', ']']).to_string(),
        port: url.port_or_known_default()?,
        authorization,
    })
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Ask the proxy for a tunnel to `host:port`.
pub async fn connect_tunnel(
    tcp: &mut TcpStream,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), String> {
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(authorization) = &proxy.authorization {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send CONNECT ({e})"))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte: nothing of the tunnel after the head may be consumed.
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err("the proxy's answer to CONNECT is too long".into());
        }
        match tcp.read(&mut byte).await {
            Ok(0) => return Err("the proxy closed the connection".into()),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(format!("no answer to CONNECT ({e})")),
        }
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some(code) if code.starts_with('2') => Ok(()),
        _ => Err(format!(
            "the proxy refused the tunnel ({})",
            status_line.trim()
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_pads() {
        assert_eq!(super::base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"a"), "YQ==");
        assert_eq!(super::base64(b""), "");
    }
}
