use std::time::Duration;

use super::*;

fn validation(provider: &'static str, code: OutcomeCode, attempts: u32, ms: u64) -> Validation {
    Validation {
        provider,
        code,
        total: Duration::from_millis(ms + 1),
        attempts,
        upstream: (attempts > 0).then(|| Duration::from_millis(ms)),
    }
}

fn find<'a>(rows: &'a Value, key: &str, value: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|row| row[key] == value))
        .unwrap_or(&Value::Null)
}

#[test]
fn counts_by_provider_and_outcome() {
    let metrics = Metrics::new();
    metrics.record(&validation("turnstile", OutcomeCode::Passed, 1, 3));
    metrics.record(&validation("turnstile", OutcomeCode::Passed, 2, 30));
    metrics.record(&validation("turnstile", OutcomeCode::Replayed, 0, 0));
    metrics.record(&validation("hcaptcha", OutcomeCode::Rejected, 1, 700));
    metrics.record_store_error("redis");
    metrics.live_evictions.fetch_add(4, Relaxed);
    let snapshot = metrics.snapshot();

    let validations = &snapshot["validations"];
    assert_eq!(validations.as_array().map(Vec::len), Some(3));
    let turnstile: Vec<_> = validations
        .as_array()
        .into_iter()
        .flatten()
        .filter(|row| row["provider"] == "turnstile")
        .map(|row| (row["outcome"].as_str().unwrap_or(""), row["count"].as_u64()))
        .collect();
    assert_eq!(turnstile, [("passed", Some(2)), ("replayed", Some(1))]);

    let upstream = find(&snapshot["upstream"], "provider", "turnstile");
    assert_eq!(upstream["calls"], 3);
    assert_eq!(upstream["retries"], 1);
    assert_eq!(upstream["duration_seconds"]["count"], 2);
    assert!(find(&snapshot["upstream"], "provider", "captchala").is_null());

    let latency =
        &find(&snapshot["validation_latency"], "provider", "turnstile")["duration_seconds"];
    assert_eq!(latency["count"], 3);
    // 1 ms, 4 ms and 31 ms: two in the first bucket, all three by 0.05.
    let bucket = |le: &str| find(&latency["buckets"], "le", le)["count"].as_u64();
    assert_eq!(bucket("0.005"), Some(2));
    assert_eq!(bucket("0.025"), Some(2));
    assert_eq!(bucket("0.05"), Some(3));
    assert_eq!(bucket("+Inf"), Some(3));
    let sum = latency["sum"].as_f64().unwrap_or(0.0);
    assert!((sum - 0.036).abs() < 1e-9, "sum {sum}");

    assert_eq!(
        find(&snapshot["replay_store_errors"], "store", "redis")["count"],
        1
    );
    assert_eq!(snapshot["replay_live_evictions"], 4);
}

/// Each sample line of the exposition: (name with labels, value).
fn samples(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            (series.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

#[test]
fn prometheus_text_is_well_formed() {
    let metrics = Metrics::new();
    metrics.record(&validation("captchala", OutcomeCode::Passed, 1, 2));
    metrics.record(&validation("captchala", OutcomeCode::Expired, 1, 80));
    metrics.record(&validation(
        "captchala",
        OutcomeCode::UpstreamUnavailable,
        2,
        12_000,
    ));
    let text = metrics.prometheus_text();
    let samples = samples(&text);
    let value = |series: &str| {
        samples
            .iter()
            .find(|(s, _)| s == series)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{series} missing from\n{text}"))
    };
    assert_eq!(
        value(r#"passgate_validations_total{provider="captchala",outcome="expired"}"#),
        1.0
    );
    assert_eq!(
        value(r#"passgate_upstream_calls_total{provider="captchala"}"#),
        4.0
    );
    assert_eq!(
        value(r#"passgate_upstream_retries_total{provider="captchala"}"#),
        1.0
    );
    assert_eq!(
        value(r#"passgate_replay_store_errors_total{store="redis"}"#),
        0.0
    );
    assert_eq!(value("passgate_replay_live_evictions_total"), 0.0);
    // 12 s is past the last bound: only +Inf holds it.
    assert_eq!(
        value(r#"passgate_upstream_duration_seconds_bucket{provider="captchala",le="10.0"}"#),
        2.0
    );
    assert_eq!(
        value(r#"passgate_upstream_duration_seconds_bucket{provider="captchala",le="+Inf"}"#),
        3.0
    );
    assert_eq!(
        value(r#"passgate_validation_duration_seconds_count{provider="captchala"}"#),
        3.0
    );

    // Buckets are cumulative; every family is declared once, before use.
    let buckets: Vec<f64> = samples
        .iter()
        .filter(|(s, _)| s.starts_with("passgate_validation_duration_seconds_bucket"))
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(buckets.len(), LATENCY_BUCKETS_S.len() + 1);
    assert!(
        buckets.windows(2).all(|pair| pair[0] <= pair[1]),
        "{buckets:?}"
    );
    for (series, _) in &samples {
        let family = series
            .split('{')
            .next()
            .unwrap_or("")
            .trim_end_matches("_bucket")
            .trim_end_matches("_sum")
            .trim_end_matches("_count");
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family} undeclared"
        );
    }
    // Providers never used have no series.
    assert!(!text.contains("turnstile"));
}

#[test]
fn the_process_counters_see_a_validation() {
    fn passed(snapshot: &Value) -> u64 {
        snapshot["validations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|row| row["provider"] == "recaptcha" && row["outcome"] == "passed")
            .filter_map(|row| row["count"].as_u64())
            .sum()
    }
    let before = passed(&snapshot());
    let verifier = crate::Verifier::new(crate::Options {
        provider: Some("recaptcha".into()),
        mode: Some("test".into()),
        environment: Some("development".into()),
        ..crate::Options::default()
    })
    .expect("verifier");
    let outcome = verifier
        .validate_blocking(crate::ValidateRequest::new(Some("pt_test_passed")))
        .expect("outcome");
    assert!(outcome.ok());
    assert!(passed(&snapshot()) > before);
    assert!(prometheus_text()
        .contains(r#"passgate_validations_total{provider="recaptcha",outcome="passed"}"#));
}
