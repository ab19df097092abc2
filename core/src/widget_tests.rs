use super::*;
use crate::{Options, Verifier};

fn verifier(provider: &str, extra: &[(&str, &str)]) -> Verifier {
    let mut options = Options::default();
    options
        .set("provider", OptionValue::Str(provider.into()))
        .unwrap();
    options
        .set("environment", OptionValue::Str("test".into()))
        .unwrap();
    if provider == "captchala" {
        options
            .set("app_key", OptionValue::Str("app-key-1".into()))
            .unwrap();
        options
            .set("app_secret", OptionValue::Str("app-secret-1".into()))
            .unwrap();
    } else {
        options
            .set("secret_key", OptionValue::Str("secret-1".into()))
            .unwrap();
        options
            .set("site_key", OptionValue::Str("site-key-1".into()))
            .unwrap();
    }
    for (name, value) in extra {
        options
            .set(name, OptionValue::Str((*value).into()))
            .unwrap();
    }
    Verifier::new(options).unwrap()
}

fn args(pairs: &[(&str, &str)]) -> WidgetArgs {
    let mut args = WidgetArgs::default();
    for (name, value) in pairs {
        args.set(name, OptionValue::Str((*value).into())).unwrap();
    }
    args
}

#[test]
fn the_bootstrap_hash_is_the_sha256_of_the_script_as_embedded() {
    // Recomputed independently of `bootstrap_hash_source`'s encoder.
    let html = verifier("turnstile", &[]).widget(&args(&[])).unwrap();
    let inline = html
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    let digest = Sha256::digest(inline.as_bytes());
    let mut hex = String::new();
    for b in digest {
        hex += &format!("{b:02x}");
    }
    let decoded = decode_base64(
        bootstrap_hash_source()
            .trim_start_matches("'sha256-")
            .trim_end_matches('\''),
    );
    let decoded_hex: String = decoded.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(decoded_hex, hex);
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            _ => 63,
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::new();
    let mut bits = 0u32;
    let mut count = 0;
    for b in bytes {
        bits = bits << 6 | value(b);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count & 0xff) as u8);
        }
    }
    out
}

#[test]
fn base64_matches_known_vectors() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn each_provider_renders_its_key_action_and_loader() {
    let html = verifier("turnstile", &[])
        .widget(&args(&[
            ("action", "login"),
            ("cdata", "s-1"),
            ("nonce", "abc123=="),
        ]))
        .unwrap();
    assert!(html.contains("data-sitekey=\"site-key-1\""), "{html}");
    assert!(html.contains("data-action=\"login\""));
    assert!(html.contains("data-cdata=\"s-1\""));
    assert!(html.contains("<script nonce=\"abc123==\">"));
    assert!(html.contains(
        "data-passgate-loader=\"https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit\""
    ));
    assert!(html.contains("data-passgate-field=\"cf-turnstile-response\""));
    assert!(
        !html.contains("style="),
        "no inline style: strict style-src"
    );

    let html = verifier("captchala", &[])
        .widget(&args(&[("action", "pay"), ("server_token", "sct_abc")]))
        .unwrap();
    assert!(html.contains("data-sitekey=\"app-key-1\""));
    assert!(html.contains("data-server-token=\"sct_abc\""));
    assert!(html.contains("<input type=\"hidden\" name=\"captchala_token\" value=\"\">"));
    assert!(html.contains("https://cdn.captcha-cdn.net/captchala-loader.js\""));
    assert!(!html.contains("app-secret-1"));

    for provider in ["recaptcha", "hcaptcha"] {
        let html = verifier(provider, &[]).widget(&args(&[])).unwrap();
        assert!(html.contains("render=explicit"), "{provider}");
        assert!(!html.contains("secret-1\""), "{provider}");
    }
}

#[test]
fn two_widgets_get_distinct_containers() {
    let v = verifier("hcaptcha", &[]);
    let id = |html: &str| {
        html.split("id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    let (a, b) = (v.widget(&args(&[])).unwrap(), v.widget(&args(&[])).unwrap());
    assert_ne!(id(&a), id(&b));
}

#[test]
fn bad_arguments_name_themselves() {
    let v = verifier("turnstile", &[]);
    let name = |pairs: &[(&str, &str)]| v.widget(&args(pairs)).unwrap_err().setting;
    assert_eq!(name(&[("action", "a\"><script>")]), "action");
    assert_eq!(name(&[("action", &"a".repeat(33))]), "action");
    assert_eq!(name(&[("nonce", "x\" onload=\"")]), "nonce");
    assert_eq!(name(&[("server_token", "sct_1")]), "server_token");
    assert_eq!(
        verifier("hcaptcha", &[])
            .widget(&args(&[("cdata", "x")]))
            .unwrap_err()
            .setting,
        "cdata"
    );
    let mut unknown = WidgetArgs::default();
    assert_eq!(
        unknown
            .set("colour", OptionValue::Null)
            .unwrap_err()
            .setting,
        "colour"
    );
    assert_eq!(
        unknown
            .set("action", OptionValue::Int(1))
            .unwrap_err()
            .setting,
        "action"
    );

    let mut options = Options::default();
    options
        .set("provider", OptionValue::Str("recaptcha".into()))
        .unwrap();
    options
        .set("secret_key", OptionValue::Str("s".into()))
        .unwrap();
    let no_site_key = Verifier::new(options).unwrap();
    assert_eq!(
        no_site_key.widget(&args(&[])).unwrap_err().setting,
        "site_key"
    );
}

#[test]
fn the_hint_speaks_the_requested_language() {
    let v = verifier("turnstile", &[]);
    let de = v.widget(&args(&[("lang", "de")])).unwrap();
    assert!(de.contains(&escape(crate::messages::widget_unavailable("de"))));
    assert_ne!(
        crate::messages::widget_unavailable("de"),
        crate::messages::widget_unavailable("en")
    );
}

#[test]
fn csp_lists_the_provider_hosts_and_the_bootstrap_hash() {
    let csp = verifier("hcaptcha", &[]).csp();
    let get = |d: &str| {
        csp.iter()
            .find(|(name, _)| *name == d)
            .map(|(_, s)| s.clone())
            .unwrap()
    };
    assert_eq!(
        get("frame-src"),
        ["https://hcaptcha.com", "https://*.hcaptcha.com"]
    );
    assert!(get("script-src").contains(&bootstrap_hash_source()));

    let local = verifier(
        "turnstile",
        &[(
            "script_url",
            "http://127.0.0.1:8900/__mock/loader/turnstile.js",
        )],
    );
    let csp = local.csp();
    for (directive, sources) in &csp {
        assert!(
            sources.contains(&"http://127.0.0.1:8900".to_string()),
            "{directive}"
        );
    }
    // The provider's own hosts stay: a self-hosted loader may still use them.
    let frame = csp.iter().find(|(d, _)| *d == "frame-src").unwrap();
    assert!(frame
        .1
        .contains(&"https://challenges.cloudflare.com".to_string()));
    assert!(local.describe().iter().any(|(k, _)| *k == "script_url"));
    assert!(!verifier("turnstile", &[])
        .describe()
        .iter()
        .any(|(k, _)| *k == "script_url"));
}

#[test]
fn script_url_must_be_https_outside_loopback_development() {
    let mut options = Options::default();
    options
        .set("provider", OptionValue::Str("turnstile".into()))
        .unwrap();
    options
        .set("secret_key", OptionValue::Str("s".into()))
        .unwrap();
    options
        .set(
            "script_url",
            OptionValue::Str("http://cdn.example/x.js".into()),
        )
        .unwrap();
    let error = Verifier::new(options).unwrap_err().to_string();
    assert!(error.contains("script_url"), "{error}");
}
