use super::*;

fn read(kind: ProviderKind, status: u16, body: &str) -> ValidateAnswer {
    interpret_siteverify(
        kind,
        &Exchange::answered(status, body.as_bytes()),
        "tok-XYZ",
    )
}

fn failure(kind: ProviderKind, body: &str) -> (Option<OutcomeCode>, Option<String>) {
    let answer = read(kind, 200, body);
    (answer.failure, answer.upstream_error)
}

#[test]
fn every_listed_error_code_maps() {
    use OutcomeCode::*;
    let table = [
        ("missing-input-response", MissingToken),
        ("invalid-input-response", Rejected),
        ("timeout-or-duplicate", Expired),
        ("expired-input-response", Expired),
        ("already-seen-response", Replayed),
        ("invalid-or-already-seen-response", Rejected),
        ("missing-input-secret", Misconfigured),
        ("invalid-input-secret", Misconfigured),
        ("sitekey-secret-mismatch", Misconfigured),
        ("not-using-dummy-passcode", Misconfigured),
        ("not-using-dummy-secret", Misconfigured),
        ("invalid-sitekey", Misconfigured),
        ("bad-request", Misconfigured),
        ("missing-remoteip", Misconfigured),
        ("invalid-remoteip", Misconfigured),
        ("internal-error", UpstreamUnavailable),
    ];
    for (code, outcome) in table {
        let body = format!(r#"{{"success":false,"error-codes":["{code}"]}}"#);
        for kind in ProviderKind::SITEVERIFY {
            assert_eq!(
                failure(kind, &body),
                (Some(outcome), Some(code.to_string())),
                "{code}"
            );
        }
    }
}

#[test]
fn the_first_known_code_decides() {
    let body = r#"{"success":false,"error-codes":["some-new-code","invalid-input-secret","timeout-or-duplicate"]}"#;
    assert_eq!(
        failure(ProviderKind::Turnstile, body),
        (
            Some(OutcomeCode::Misconfigured),
            Some("invalid-input-secret".into())
        )
    );
    let unknown = r#"{"success":false,"error-codes":["brand-new"]}"#;
    assert_eq!(
        failure(ProviderKind::Hcaptcha, unknown),
        (Some(OutcomeCode::Rejected), Some("brand-new".into()))
    );
    assert_eq!(
        failure(ProviderKind::Recaptcha, r#"{"success":false}"#),
        (Some(OutcomeCode::Rejected), None)
    );
    let echo = r#"{"success":false,"error-codes":["bad tok-XYZ here"]}"#;
    assert_eq!(
        failure(ProviderKind::Recaptcha, echo),
        (Some(OutcomeCode::Rejected), Some("unrecognized".into()))
    );
}

#[test]
fn answers_that_do_not_read_cleanly_fail_closed() {
    let unavailable = |e: &str| (Some(OutcomeCode::UpstreamUnavailable), Some(e.to_string()));
    for body in [
        r#"{"success":"true"}"#,
        r#"{"success":1}"#,
        r#"{"hostname":"a"}"#,
        r#"[true]"#,
        r#"{"success":true,"error-codes":"x"}"#,
        r#"{"success":true,"error-codes":[1]}"#,
        r#"{"success":true,"error-codes":["invalid-input-response"]}"#,
        r#"{"success":true,"hostname":7}"#,
        r#"{"success":true,"score":"0.9"}"#,
        r#"{"success":true,"action":["login"]}"#,
    ] {
        assert_eq!(
            failure(ProviderKind::Recaptcha, body),
            unavailable("bad_answer"),
            "{body}"
        );
    }
    assert_eq!(
        failure(
            ProviderKind::Turnstile,
            r#"{"success":false,"success":true}"#
        ),
        unavailable("duplicate_key")
    );
    assert_eq!(
        failure(ProviderKind::Turnstile, "<html>"),
        unavailable("not_json")
    );
    let status = |s: u16, body: &str| {
        let a = read(ProviderKind::Turnstile, s, body);
        (a.failure, a.upstream_error)
    };
    assert_eq!(
        status(429, "{}"),
        (Some(OutcomeCode::RateLimited), Some("http_429".into()))
    );
    assert_eq!(status(502, r#"{"success":true}"#), unavailable("http_502"));
    assert_eq!(
        status(403, r#"{"success":true}"#),
        (Some(OutcomeCode::Misconfigured), Some("http_403".into()))
    );
    assert_eq!(status(404, "not found"), unavailable("http_404"));
    assert_eq!(status(418, r#"{"success":true}"#), unavailable("http_418"));
    assert_eq!(
        status(400, r#"{"success":false,"error-codes":["bad-request"]}"#),
        (Some(OutcomeCode::Misconfigured), Some("bad-request".into()))
    );
}

#[test]
fn a_success_answer_is_read_whole() {
    let answer = read(
        ProviderKind::Turnstile,
        200,
        r#"{"success":true,"challenge_ts":"2022-02-28T15:14:30.096Z","hostname":"example.com","error-codes":[],"action":"login","cdata":"sessionid-123","metadata":{"ephemeral_id":"x:9f78"},"messages":[]}"#,
    );
    assert_eq!(answer.failure, None);
    assert_eq!(answer.hostname.as_deref(), Some("example.com"));
    assert_eq!(answer.action.as_deref(), Some("login"));
    assert_eq!(answer.cdata.as_deref(), Some("sessionid-123"));
    assert_eq!(answer.solved_at, SolvedAt::Unix(1_646_061_270_096));
    let recaptcha = read(
        ProviderKind::Recaptcha,
        200,
        r#"{"success":true,"score":0.3,"hostname":""}"#,
    );
    assert_eq!(
        (recaptcha.score, recaptcha.humanity, recaptcha.risk),
        (Some(0.3), Some(0.3), None)
    );
    assert_eq!(recaptcha.solved_at, SolvedAt::Absent);
    let hcaptcha = read(
        ProviderKind::Hcaptcha,
        200,
        r#"{"success":true,"score":0.8,"score_reason":["a"],"credit":false}"#,
    );
    assert_eq!(
        (hcaptcha.score, hcaptcha.humanity, hcaptcha.risk),
        (Some(0.8), None, Some(0.8))
    );
    let bad_ts = read(
        ProviderKind::Hcaptcha,
        200,
        r#"{"success":true,"challenge_ts":"yesterday"}"#,
    );
    assert_eq!(bad_ts.solved_at, SolvedAt::Unreadable);
}

#[test]
fn timestamps_in_every_documented_shape() {
    let base = 1_566_475_802_000; // 2019-08-22T12:10:02Z
    assert_eq!(parse_timestamp("2019-08-22T12:10:02Z"), Some(base));
    assert_eq!(parse_timestamp("2019-08-22T12:10:02.5Z"), Some(base + 500));
    assert_eq!(
        parse_timestamp("2019-08-22T12:10:02.123456789Z"),
        Some(base + 123)
    );
    assert_eq!(parse_timestamp("2019-08-22T14:10:02+02:00"), Some(base));
    assert_eq!(parse_timestamp("2019-08-22T04:10:02-0800"), Some(base));
    assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(
        parse_timestamp("2000-02-29T00:00:00Z"),
        Some(951_782_400_000)
    );
    for bad in [
        "",
        "2019-08-22",
        "2019-08-22T12:10:02",
        "2019-13-22T12:10:02Z",
        "2019-08-22T25:10:02Z",
        "19-08-22T12:10:02Z",
        "2019-08-22T12:10:02.Z",
        "2019-08-22T12:10:02+2",
        "yesterday",
        "2019-08-22T12:10:02.12a Z",
    ] {
        assert_eq!(parse_timestamp(bad), None, "{bad:?}");
    }
}

#[test]
fn client_ips_are_sent_canonical_or_not_at_all() {
    assert_eq!(
        canonical_ip("::ffff:203.0.113.7").as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        canonical_ip(" 203.0.113.7 ").as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(canonical_ip("2001:DB8::1").as_deref(), Some("2001:db8::1"));
    assert_eq!(canonical_ip("203.0.113.7, 10.0.0.1"), None);
    assert_eq!(canonical_ip("unknown"), None);
}

#[test]
fn idempotency_keys_are_fresh_uuids() {
    let a = idempotency_key();
    let b = idempotency_key();
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-'), "{a}");
}

#[test]
fn the_path_is_appended_to_any_base() {
    let url = |provider: &str, base: Option<&str>| {
        let config = crate::config::Config::resolve(crate::config::Options {
            provider: Some(provider.into()),
            secret_key: Some("s".into()),
            api_base: base.map(str::to_string),
            ..crate::config::Options::default()
        })
        .expect("config");
        Siteverify::new(&config).url
    };
    assert_eq!(
        url("recaptcha", None),
        "https://www.google.com/recaptcha/api/siteverify"
    );
    // Where google.com is blocked.
    assert_eq!(
        url("recaptcha", Some("https://www.recaptcha.net")),
        "https://www.recaptcha.net/recaptcha/api/siteverify"
    );
    assert_eq!(
        url(
            "recaptcha",
            Some("https://www.recaptcha.net/recaptcha/api/siteverify")
        ),
        "https://www.recaptcha.net/recaptcha/api/siteverify"
    );
    assert_eq!(url("hcaptcha", None), "https://api.hcaptcha.com/siteverify");
    assert_eq!(
        url("turnstile", None),
        "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    );
}
