//! What a pass token looks like before anybody is asked about it: its type
//! (from the prefix), its shape, and its fingerprint for logs and the replay
//! store.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::outcome::OutcomeCode;

/// Longest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    /// `pt_`: normal pass token, main API.
    Pt,
    /// `offline_`: issued by the provider's bypass worker, backup API.
    Offline,
    /// `dg_`: degraded, app quota exhausted.
    Dg,
    /// `co_`: made in the browser; cannot be verified.
    Co,
    /// `client_`: made in the browser; cannot be verified.
    Client,
    /// `sct_`: a server token, never a pass token.
    Sct,
    /// Any other prefix: the main API decides.
    Unknown,
    /// A provider whose tokens have no documented prefixes (reCAPTCHA,
    /// hCaptcha, Turnstile).
    Opaque,
}

impl TokenType {
    /// A token that no prefix describes.
    pub fn opaque(_: &str) -> TokenType {
        TokenType::Opaque
    }

    /// CaptchaLa's prefixes.
    pub fn of(token: &str) -> TokenType {
        const PREFIXES: [(&str, TokenType); 6] = [
            ("pt_", TokenType::Pt),
            ("offline_", TokenType::Offline),
            ("dg_", TokenType::Dg),
            ("co_", TokenType::Co),
            ("client_", TokenType::Client),
            ("sct_", TokenType::Sct),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| token.starts_with(prefix))
            .map_or(TokenType::Unknown, |(_, kind)| *kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Pt => "pt",
            TokenType::Offline => "offline",
            TokenType::Dg => "dg",
            TokenType::Co => "co",
            TokenType::Client => "client",
            TokenType::Sct => "sct",
            TokenType::Unknown => "unknown",
            TokenType::Opaque => "opaque",
        }
    }

    /// Made in the browser when both APIs were unreachable.
    pub fn is_client_only(self) -> bool {
        matches!(self, TokenType::Co | TokenType::Client)
    }
}

/// A token after trimming, with what is known about it locally.
#[derive(Clone)]
pub struct InspectedToken<'a> {
    pub text: &'a str,
    pub token_type: TokenType,
    pub fingerprint: String,
}

// The raw token must never reach a Debug print.
impl std::fmt::Debug for InspectedToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InspectedToken")
            .field("token_type", &self.token_type)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// The local verdict on a token before any store or network is touched.
pub enum Inspection<'a> {
    Missing,
    /// Longer than `MAX_TOKEN_BYTES`: refused before any hashing, so a huge
    /// form value costs no more than reading its length.
    Oversized(TokenType),
    /// Malformed or otherwise refused locally; still fingerprinted for logs.
    Refused(InspectedToken<'a>, OutcomeCode),
    Usable(InspectedToken<'a>),
}

/// First 16 hex chars of HMAC-SHA256(key = app secret, message = token).
pub fn fingerprint(app_secret: &str, token: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(token.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(16);
    for byte in &digest[..8] {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// How a provider's tokens look: their types and their longest length.
#[derive(Debug, Clone, Copy)]
pub struct TokenRules {
    pub classify: fn(&str) -> TokenType,
    pub max_bytes: usize,
}

impl TokenRules {
    pub const CAPTCHALA: TokenRules = TokenRules {
        classify: TokenType::of,
        max_bytes: MAX_TOKEN_BYTES,
    };
}

/// `inspect_with` CaptchaLa's rules.
pub fn inspect<'a>(raw: Option<&'a str>, app_secret: &str) -> Inspection<'a> {
    inspect_with(raw, app_secret, TokenRules::CAPTCHALA)
}

/// Trim surrounding ASCII whitespace (forms add newlines), then judge shape.
pub fn inspect_with<'a>(
    raw: Option<&'a str>,
    app_secret: &str,
    rules: TokenRules,
) -> Inspection<'a> {
    let text = match raw.map(|t| t.trim_matches(|c: char| c.is_ascii_whitespace())) {
        None | Some("") => return Inspection::Missing,
        Some(text) => text,
    };
    let token_type = (rules.classify)(text);
    if text.len() > rules.max_bytes {
        return Inspection::Oversized(token_type);
    }
    let token = InspectedToken {
        text,
        token_type,
        fingerprint: fingerprint(app_secret, text),
    };
    // Printable ASCII without space: 0x21..=0x7e.
    let well_formed = text.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !well_formed || token_type == TokenType::Sct {
        return Inspection::Refused(token, OutcomeCode::MalformedToken);
    }
    Inspection::Usable(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(raw: Option<&str>) -> Option<OutcomeCode> {
        match inspect(raw, "secret") {
            Inspection::Missing => Some(OutcomeCode::MissingToken),
            Inspection::Oversized(_) => Some(OutcomeCode::MalformedToken),
            Inspection::Refused(_, code) => Some(code),
            Inspection::Usable(_) => None,
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(verdict(None), Some(OutcomeCode::MissingToken));
        assert_eq!(verdict(Some("")), Some(OutcomeCode::MissingToken));
        assert_eq!(verdict(Some(" \t\r\n")), Some(OutcomeCode::MissingToken));
        assert_eq!(verdict(Some("pt_abc\n")), None);
        assert_eq!(verdict(Some("pt_a b")), Some(OutcomeCode::MalformedToken));
        assert_eq!(verdict(Some("pt_a\0b")), Some(OutcomeCode::MalformedToken));
        assert_eq!(verdict(Some("pt_é")), Some(OutcomeCode::MalformedToken));
        assert_eq!(verdict(Some("sct_abc")), Some(OutcomeCode::MalformedToken));
        let long = format!("pt_{}", "a".repeat(MAX_TOKEN_BYTES));
        assert_eq!(verdict(Some(&long)), Some(OutcomeCode::MalformedToken));
        let longest = format!("pt_{}", "a".repeat(MAX_TOKEN_BYTES - 3));
        assert_eq!(verdict(Some(&longest)), None);
    }

    #[test]
    fn types() {
        assert_eq!(TokenType::of("pt_x"), TokenType::Pt);
        assert_eq!(TokenType::of("offline_x"), TokenType::Offline);
        assert_eq!(TokenType::of("dg_x"), TokenType::Dg);
        assert_eq!(TokenType::of("co_x"), TokenType::Co);
        assert_eq!(TokenType::of("client_x"), TokenType::Client);
        assert_eq!(TokenType::of("sct_x"), TokenType::Sct);
        assert_eq!(TokenType::of("ptx"), TokenType::Unknown);
    }

    #[test]
    fn fingerprint_is_rfc4231_hmac_prefix() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            fingerprint("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e"
        );
    }

    #[test]
    fn debug_hides_token() {
        let Inspection::Usable(token) = inspect(Some("pt_SECRETTOKEN"), "s") else {
            panic!("usable")
        };
        assert!(!format!("{token:?}").contains("SECRETTOKEN"));
    }
}
