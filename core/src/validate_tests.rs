//! The decision against a fake provider: claim → ask → checks → policy →
//! log record, with no network.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::config::{Config, Options};
use crate::provider::{Provider, Verification, VerifyFuture};
use crate::replay::{BrokenStore, MemoryStore, ReplayStore};

/// Answers from a script, in order; counts the calls.
struct Fake {
    answers: Mutex<VecDeque<ValidateAnswer>>,
    calls: Arc<AtomicUsize>,
    binds_uid: bool,
}

/// A verifier's insides around a fake provider, and the provider's call count.
struct Harness {
    inner: Inner,
    calls: Arc<AtomicUsize>,
}

impl std::ops::Deref for Harness {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl Provider for Fake {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn binds_uid(&self) -> bool {
        self.binds_uid
    }
    fn verify<'a>(&'a self, _request: VerifyRequest<'a>) -> VerifyFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self
            .answers
            .lock()
            .expect("answers")
            .pop_front()
            .unwrap_or_default();
        Box::pin(async move {
            Verification {
                upstream_called: true,
                status: Some(200),
                latency: Some(Duration::from_millis(1)),
                attempts: 1,
                answer,
            }
        })
    }
}

fn inner_with(
    answers: Vec<ValidateAnswer>,
    store: Box<dyn ReplayStore>,
    tweak: impl FnOnce(&mut Options),
) -> Harness {
    let mut options = Options {
        app_key: Some("key".into()),
        app_secret: Some("secret".into()),
        environment: Some("test".into()),
        ..Options::default()
    };
    tweak(&mut options);
    let calls = Arc::new(AtomicUsize::new(0));
    let binds_uid = options.provider.is_none();
    let inner = Inner {
        config: Config::resolve(options).expect("config"),
        store,
        provider: Box::new(Fake {
            answers: Mutex::new(answers.into()),
            calls: calls.clone(),
            binds_uid,
        }),
        counted: true,
    };
    Harness { inner, calls }
}

fn inner(answers: Vec<ValidateAnswer>) -> Harness {
    inner_with(answers, Box::new(MemoryStore::new(100)), |_| {})
}

fn calls(harness: &Harness) -> usize {
    harness.calls.load(Ordering::SeqCst)
}

fn validate(inner: &Inner, request: ValidateRequest) -> Outcome {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(run(inner, request))
}

fn token(text: &str) -> ValidateRequest {
    ValidateRequest::new(Some(text))
}

fn valid() -> ValidateAnswer {
    ValidateAnswer::default()
}

fn failed(code: OutcomeCode) -> ValidateAnswer {
    ValidateAnswer {
        failure: Some(code),
        ..ValidateAnswer::default()
    }
}

fn solved_s_ago(seconds: i64) -> SolvedAt {
    SolvedAt::Unix(unix_now_ms() / 1000 - seconds)
}

#[test]
fn the_claim_comes_before_the_provider_is_asked() {
    let inner = inner(vec![valid(), valid()]);
    let first = validate(&inner, token("pt_once"));
    assert_eq!(first.code, OutcomeCode::Passed);
    assert_eq!(first.log_fields.provider, "fake");
    let second = validate(&inner, token("pt_once"));
    assert_eq!(second.code, OutcomeCode::Replayed);
    assert!(!second.log_fields.upstream_called);
    assert_eq!(calls(&inner), 1);
}

#[test]
fn transient_failures_release_the_claim_and_refusals_keep_it() {
    let inner = inner(vec![
        failed(OutcomeCode::UpstreamUnavailable),
        failed(OutcomeCode::RateLimited),
        valid(),
        failed(OutcomeCode::Rejected),
    ]);
    assert_eq!(
        validate(&inner, token("pt_retry")).code,
        OutcomeCode::UpstreamUnavailable
    );
    assert_eq!(
        validate(&inner, token("pt_retry")).code,
        OutcomeCode::RateLimited
    );
    assert_eq!(
        validate(&inner, token("pt_retry")).code,
        OutcomeCode::Passed
    );
    assert_eq!(
        validate(&inner, token("pt_refused")).code,
        OutcomeCode::Rejected
    );
    assert_eq!(
        validate(&inner, token("pt_refused")).code,
        OutcomeCode::Replayed
    );
    assert_eq!(calls(&inner), 4);
}

#[test]
fn expiry_then_action_then_uid_decide() {
    let everything_wrong = || ValidateAnswer {
        solved_at: solved_s_ago(10_000),
        action: Some("pay".into()),
        uid: Some("other".into()),
        ..ValidateAnswer::default()
    };
    let expect = |answer: ValidateAnswer, code: OutcomeCode| {
        let inner = inner(vec![answer]);
        let request = ValidateRequest {
            action: Some("login".into()),
            uid: Some("user-1".into()),
            ..token("pt_checks")
        };
        assert_eq!(validate(&inner, request).code, code);
    };
    expect(everything_wrong(), OutcomeCode::Expired);
    let fresh = || ValidateAnswer {
        solved_at: solved_s_ago(5),
        ..everything_wrong()
    };
    expect(fresh(), OutcomeCode::ActionMismatch);
    expect(
        ValidateAnswer {
            action: Some("login".into()),
            ..fresh()
        },
        OutcomeCode::UidMismatch,
    );
    expect(
        ValidateAnswer {
            action: Some("login".into()),
            uid: Some("user-1".into()),
            ..fresh()
        },
        OutcomeCode::Passed,
    );
}

#[test]
fn solved_at_in_the_future_or_unreadable_fails_closed() {
    let inner = inner(vec![
        ValidateAnswer {
            solved_at: solved_s_ago(-3600),
            ..valid()
        },
        ValidateAnswer {
            solved_at: SolvedAt::Unreadable,
            ..valid()
        },
    ]);
    let future = validate(&inner, token("pt_future"));
    assert_eq!(future.code, OutcomeCode::Misconfigured);
    assert_eq!(
        future.log_fields.upstream_error.as_deref(),
        Some("clock_skew")
    );
    assert!(future.token_age_ms.is_some_and(|age| age < 0));
    let unreadable = validate(&inner, token("pt_unreadable"));
    assert_eq!(unreadable.code, OutcomeCode::Rejected);
    assert_eq!(
        unreadable.log_fields.upstream_error.as_deref(),
        Some("bad_solved_at")
    );
}

#[test]
fn policies_let_in_only_what_they_name() {
    let degraded = || ValidateAnswer {
        degraded: true,
        ..failed(OutcomeCode::Degraded)
    };
    let strict = inner(vec![degraded()]);
    assert_eq!(validate(&strict, token("dg_x")).code, OutcomeCode::Degraded);
    let lenient = inner_with(vec![degraded()], Box::new(MemoryStore::new(10)), |o| {
        o.allow_degraded = Some(true)
    });
    let outcome = validate(&lenient, token("dg_x"));
    assert_eq!(outcome.code, OutcomeCode::Passed);
    assert_eq!(outcome.log_fields.policy, Some("allow_degraded"));

    let closed = inner_with(vec![valid()], Box::new(BrokenStore("down".into())), |_| {});
    assert_eq!(
        validate(&closed, token("pt_s")).code,
        OutcomeCode::StoreUnavailable
    );
    assert_eq!(calls(&closed), 0);
    let open = inner_with(
        vec![valid(), failed(OutcomeCode::Rejected)],
        Box::new(BrokenStore("down".into())),
        |o| o.fail_open_on_store_error = Some(true),
    );
    let passed = validate(&open, token("pt_s"));
    assert_eq!(passed.log_fields.policy, Some("fail_open_on_store_error"));
    let refused = validate(&open, token("pt_s2"));
    assert_eq!(refused.code, OutcomeCode::Rejected);
    assert_eq!(refused.log_fields.policy, None);
}

#[test]
fn keep_token_claims_nothing() {
    let inner = inner(vec![valid(), valid()]);
    let keep = || ValidateRequest {
        keep_token: true,
        ..token("pt_kept")
    };
    assert_eq!(validate(&inner, keep()).code, OutcomeCode::Passed);
    assert_eq!(validate(&inner, keep()).code, OutcomeCode::Passed);
    assert_eq!(calls(&inner), 2);
}

#[test]
fn a_provider_without_server_tokens_says_so() {
    let harness = inner(vec![]);
    let result = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(harness.provider.issue_server_token(
            crate::verifier::IssueRequest {
                action: "login".into(),
                ..Default::default()
            },
            Duration::from_secs(1),
        ));
    let Err(crate::Error::Issue(failure)) = result else {
        panic!("expected an IssueFailure, got {result:?}");
    };
    assert_eq!(
        failure.upstream_error.as_deref(),
        Some("not_supported_by_fake")
    );
    assert!(
        failure
            .to_string()
            .contains("not supported by provider fake"),
        "{failure}"
    );
}

/// Options for a siteverify-style provider (the fake then binds no uid).
fn siteverify(options: &mut Options) {
    options.provider = Some("recaptcha".into());
    options.app_key = None;
    options.app_secret = None;
    options.secret_key = Some("secret".into());
}

#[test]
fn when_several_checks_fail_the_first_in_order_decides() {
    // expiry, hostname, action, score, uid
    let everything_wrong = |solved_at| ValidateAnswer {
        solved_at,
        hostname: Some("evil.example".into()),
        action: Some("signup".into()),
        humanity: Some(0.1),
        uid: Some("someone-else".into()),
        ..ValidateAnswer::default()
    };
    let inner = inner_with(
        vec![
            everything_wrong(solved_s_ago(1000)),
            everything_wrong(solved_s_ago(1)),
            ValidateAnswer {
                hostname: Some("Good.Example.".into()),
                ..everything_wrong(solved_s_ago(1))
            },
            ValidateAnswer {
                hostname: Some("good.example".into()),
                action: Some("login".into()),
                ..everything_wrong(solved_s_ago(1))
            },
        ],
        Box::new(MemoryStore::new(100)),
        |o| {
            siteverify(o);
            o.expected_hostnames = Some(vec!["good.example".into()]);
        },
    );
    let login = |text: &str| ValidateRequest {
        action: Some("login".into()),
        ..token(text)
    };
    let codes: Vec<OutcomeCode> = ["pt_1", "pt_2", "pt_3", "pt_4"]
        .iter()
        .map(|t| validate(&inner, login(t)).code)
        .collect();
    assert_eq!(
        codes,
        [
            OutcomeCode::Expired,
            OutcomeCode::HostnameMismatch,
            OutcomeCode::ActionMismatch,
            OutcomeCode::ScoreTooLow,
        ]
    );
    // The score comes before the uid (CaptchaLa binds uids and has a risk
    // score).
    let captchala = inner_with(
        vec![ValidateAnswer {
            risk: Some(90.0),
            uid: Some("someone-else".into()),
            ..ValidateAnswer::default()
        }],
        Box::new(MemoryStore::new(100)),
        |o| o.max_risk_score = Some(50.0),
    );
    let request = ValidateRequest {
        uid: Some("user-1".into()),
        ..token("pt_5")
    };
    assert_eq!(validate(&captchala, request).code, OutcomeCode::ScoreTooLow);
}

#[test]
fn hostnames_must_be_listed_and_present() {
    let with_host = |h: Option<&str>| ValidateAnswer {
        hostname: h.map(str::to_string),
        ..ValidateAnswer::default()
    };
    let inner = inner_with(
        vec![
            with_host(Some("shop.example")),
            with_host(Some("SHOP.example")),
            with_host(None),
            with_host(Some("")),
            with_host(Some("shop.example.evil")),
        ],
        Box::new(MemoryStore::new(100)),
        |o| {
            siteverify(o);
            o.expected_hostnames = Some(vec!["shop.example".into(), "www.shop.example".into()]);
        },
    );
    let codes: Vec<OutcomeCode> = (0..5)
        .map(|i| validate(&inner, token(&format!("tok{i}"))).code)
        .collect();
    use OutcomeCode::{HostnameMismatch, Passed};
    assert_eq!(
        codes,
        [
            Passed,
            Passed,
            HostnameMismatch,
            HostnameMismatch,
            HostnameMismatch
        ]
    );
    let outcome = validate(&inner, token("tok9"));
    assert_eq!(outcome.provider, "fake");
    assert_eq!(outcome.log_fields.hostname, None);
}

#[test]
fn scores_are_checked_in_their_own_direction() {
    let humanity = |s: f64| ValidateAnswer {
        humanity: Some(s),
        score: Some(s),
        ..ValidateAnswer::default()
    };
    let risk = |s: f64| ValidateAnswer {
        risk: Some(s),
        score: Some(s),
        ..ValidateAnswer::default()
    };
    // reCAPTCHA's default min_score is 0.5; a score equal to it passes.
    let recaptcha = inner_with(
        vec![humanity(0.3), humanity(0.5), humanity(0.9), valid()],
        Box::new(MemoryStore::new(100)),
        siteverify,
    );
    let codes: Vec<OutcomeCode> = (0..4)
        .map(|i| validate(&recaptcha, token(&format!("r{i}"))).code)
        .collect();
    use OutcomeCode::{Passed, ScoreTooLow};
    assert_eq!(codes, [ScoreTooLow, Passed, Passed, Passed]);
    let low = validate(&recaptcha, token("r9"));
    assert_eq!(low.score, None);

    let hcaptcha = inner_with(
        vec![risk(0.9), risk(0.4), risk(0.9)],
        Box::new(MemoryStore::new(100)),
        |o| {
            siteverify(o);
            o.provider = Some("hcaptcha".into());
            o.max_risk_score = Some(0.5);
        },
    );
    let first = validate(&hcaptcha, token("h0"));
    assert_eq!(first.code, ScoreTooLow);
    assert_eq!(first.log_fields.score, Some(0.9));
    assert!(first.retryable());
    assert_eq!(first.http_status(), 403);
    assert_eq!(validate(&hcaptcha, token("h1")).code, Passed);
    // No max_risk_score: no risk check.
    let unchecked = inner_with(vec![risk(0.99)], Box::new(MemoryStore::new(100)), |o| {
        siteverify(o);
        o.provider = Some("hcaptcha".into());
    });
    assert_eq!(validate(&unchecked, token("h2")).code, Passed);
}

#[test]
fn a_uid_with_a_provider_that_cannot_bind_one_is_a_config_error() {
    let inner = inner_with(vec![valid()], Box::new(MemoryStore::new(100)), siteverify);
    let with_uid = ValidateRequest {
        uid: Some("user-1".into()),
        ..token("tok-uid")
    };
    let outcome = validate(&inner, with_uid);
    assert_eq!(outcome.code, OutcomeCode::Misconfigured);
    assert_eq!(outcome.upstream_error.as_deref(), Some("uid_not_supported"));
    assert_eq!(calls(&inner), 0);
    // Nothing was claimed: the same token still works without the uid.
    assert_eq!(validate(&inner, token("tok-uid")).code, OutcomeCode::Passed);
}
