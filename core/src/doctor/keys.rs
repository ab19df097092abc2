//! Check 3: the keys, asked of the provider with a bogus token through the
//! core's own verifier (its HTTP client, proxy and CA settings); plus the
//! key formats and test keys, which need no network.

use crate::{
    is_development_environment, Config, Options, ProviderKind, StoreSpec, ValidateRequest, Verifier,
};

use super::{Check, Status};

const NAME: &str = "keys";

/// A token no provider ever issued: the answer then says only whether the
/// keys were accepted. Never printed.
/// It has no known CaptchaLa prefix, so it is sent to the main API.
const PROBE_TOKEN: &str = "passgate-doctor-probe-0000000000000000";

/// Each provider's published test site keys (PROVIDERS.md).
const TEST_SITE_KEYS: [(ProviderKind, &str); 6] = [
    (
        ProviderKind::Recaptcha,
        "6LeIxAcTAAAAAJcZVRqyHh4dwTdlGdLfNoA_ueDsj",
    ),
    (
        ProviderKind::Hcaptcha,
        "10000000-ffff-ffff-ffff-000000000001",
    ),
    (ProviderKind::Turnstile, "1x00000000000000000000AA"),
    (ProviderKind::Turnstile, "2x00000000000000000000AB"),
    (ProviderKind::Turnstile, "3x00000000000000000000FF"),
    (ProviderKind::Turnstile, "1x00000000000000000000BB"),
];

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The provider a site key's shape belongs to.
fn site_key_shape(key: &str) -> Option<ProviderKind> {
    if key.starts_with("0x") || key.len() > 2 && key[1..].starts_with('x') {
        Some(ProviderKind::Turnstile)
    } else if key.starts_with("6L") {
        Some(ProviderKind::Recaptcha)
    } else if is_uuid(key) {
        Some(ProviderKind::Hcaptcha)
    } else {
        None
    }
}

/// Whether a siteverify secret looks like a site key (the two swapped).
fn looks_like_site_key(provider: ProviderKind, secret: &str, site_key: Option<&str>) -> bool {
    site_key == Some(secret)
        || match provider {
            ProviderKind::Hcaptcha => is_uuid(secret),
            // Turnstile site keys are 0x + 22 characters, secrets 0x + 33.
            ProviderKind::Turnstile => secret.starts_with("0x") && secret.len() < 30,
            _ => false,
        }
}

pub fn keys(config: &Config, options: &Options) -> Check {
    let production = !is_development_environment(&config.environment);
    let provider = config.provider;
    let mut warnings: Vec<(String, String)> = Vec::new();
    if let Some(site_key) = config.site_key.as_deref() {
        if let Some(shape) = site_key_shape(site_key).filter(|s| *s != provider) {
            warnings.push((
                format!(
                    "site_key looks like a {} key, but provider is {}",
                    shape.as_str(),
                    provider.as_str()
                ),
                format!(
                    "copy the site key from the {} dashboard, or set provider (PASSGATE_PROVIDER) to {}",
                    provider.as_str(),
                    shape.as_str()
                ),
            ));
        }
        if production
            && TEST_SITE_KEYS
                .iter()
                .any(|(p, key)| *p == provider && *key == site_key)
        {
            warnings.push((
                format!(
                    "site_key is {}'s published test site key, in production",
                    provider.as_str()
                ),
                "use the site key of this site from the provider's dashboard".into(),
            ));
        }
    }
    let secret = match provider {
        ProviderKind::CaptchaLa => options.app_secret.clone(),
        _ => options.secret_key.clone(),
    }
    .unwrap_or_default();
    if !production && provider.test_secrets().contains(&secret.as_str()) {
        warnings.push((
            format!(
                "secret_key is {}'s published test secret (every token passes; refused in production)",
                provider.as_str()
            ),
            "fine for development; set the real secret before deploying".into(),
        ));
    }

    // Ask the provider; the replay store plays no part here.
    let mut probe_config = config.clone();
    probe_config.store = StoreSpec::None;
    let outcome = Verifier::uncounted(probe_config).validate_blocking(ValidateRequest {
        token: Some(PROBE_TOKEN.into()),
        ..ValidateRequest::default()
    });
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            return Check::new(
                NAME,
                Status::Fail,
                format!("could not ask the provider ({e})"),
            )
        }
    };
    let answer = outcome.upstream_error.clone().unwrap_or_default();
    let code = outcome.code.as_str();
    let mut check = match (provider, answer.as_str()) {
        (ProviderKind::CaptchaLa, "invalid_token") => Check::new(
            NAME,
            Status::Pass,
            "CaptchaLa accepted the app key and secret (it answered invalid_token to a bogus token)",
        ),
        (ProviderKind::CaptchaLa, "invalid_app_key" | "invalid_app_secret") => Check::new(
            NAME,
            Status::Fail,
            format!("CaptchaLa refused the keys ({answer})"),
        )
        .advice(
            "check app_key (CAPTCHALA_APP_KEY, sent as X-App-Key) and app_secret (CAPTCHALA_APP_SECRET, X-App-Secret): they may be swapped, or copied from another app or environment",
        ),
        (_, "invalid-input-response") => Check::new(
            NAME,
            Status::Pass,
            format!(
                "{} accepted the secret (it answered invalid-input-response to a bogus token)",
                provider.as_str()
            ),
        ),
        (_, "invalid-input-secret" | "missing-input-secret") => {
            let swapped = looks_like_site_key(provider, &secret, config.site_key.as_deref());
            Check::new(
                NAME,
                Status::Fail,
                format!("{} refused the secret ({answer})", provider.as_str()),
            )
            .advice(if swapped {
                "secret_key (PASSGATE_SECRET_KEY) looks like a site key: the site key and secret are probably swapped"
            } else {
                "secret_key (PASSGATE_SECRET_KEY) is wrong: it may be copied from another site or environment; copy it again from the provider's dashboard"
            })
        }
        _ if outcome.code.ok() => {
            let check = Check::new(
                NAME,
                Status::Pass,
                format!(
                    "{} accepted the keys and let a bogus token through (an emulator, or a test secret)",
                    provider.as_str()
                ),
            );
            if production {
                Check {
                    status: Status::Warn,
                    ..check
                }
                .advice("in production api_base must be the provider's real API and the keys this site's real keys")
            } else {
                check
            }
        }
        (_, "sitekey-secret-mismatch" | "invalid-sitekey") => Check::new(
            NAME,
            Status::Fail,
            format!("{} says the site key does not belong to the secret ({answer})", provider.as_str()),
        )
        .advice("site_key (PASSGATE_SITE_KEY) and secret_key (PASSGATE_SECRET_KEY) must come from the same site"),
        _ => Check::new(
            NAME,
            Status::Fail,
            format!(
                "unexpected answer to a bogus token: outcome {code}, upstream_error {}",
                if answer.is_empty() { "none" } else { answer.as_str() }
            ),
        )
        .advice("check api_base (PASSGATE_API_BASE) points at the provider's API, and the connection check above"),
    };
    if let Some(latency) = outcome.log_fields.to_json()["latency_ms"].as_f64() {
        check = check.detail("latency", format!("{latency:.1} ms"));
    }
    if !warnings.is_empty() && check.status == Status::Pass {
        check.status = Status::Warn;
    }
    for (warning, advice) in warnings {
        check = check.detail("warning", warning);
        if check.advice.is_none() {
            check.advice = Some(advice);
        }
    }
    check
}
