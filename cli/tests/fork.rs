//! fork(): validate in a parent, fork, validate in the child and again in
//! the parent. Runs in a re-executed copy of this test binary so that the
//! fork happens in a quiet process, bounded by a timeout.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use passgate_core::{OutcomeCode, ValidateRequest};

const SCENARIO_ENV: &str = "PASSGATE_FORK_SCENARIO_BASE";

/// Run the ignored test `scenario` in a copy of this binary, bounded.
fn run_scenario(scenario: &str, base_url: &str) {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "--ignored",
            scenario,
            "--test-threads=1",
            "--nocapture",
        ])
        .env(SCENARIO_ENV, base_url)
        .spawn()
        .expect("re-exec");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the fork scenario hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{scenario} failed: {status:?}");
}

#[test]
fn validate_after_fork_in_child_and_parent() {
    let mock = common::mock();
    run_scenario("fork_scenario", &mock.base_url);
    // Parent before fork, child, parent after fork.
    assert_eq!(mock.stats().validate_calls, 3);
}

#[test]
fn forks_during_a_stream_of_validations_never_deadlock_the_child() {
    run_scenario("fork_storm_scenario", "-");
}

/// Run only by the test above, in its own process: one thread validates
/// without pause (every call takes the replay store's lock on the I/O
/// thread) while the main thread forks again and again; each child must
/// validate at once, whatever lock the I/O thread held at the fork.
#[test]
#[ignore = "run in a subprocess by forks_during_a_stream_of_validations_never_deadlock_the_child"]
fn fork_storm_scenario() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const FORKS: usize = 400;
    let verifier = common::verifier(passgate_core::Options {
        mode: Some("test".into()),
        environment: Some("test".into()),
        max_entries: Some(512),
        ..passgate_core::Options::default()
    });
    let stop = Arc::new(AtomicBool::new(false));
    let stream = {
        let (verifier, stop) = (verifier.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let token = format!("pt_test_passed_{n}");
                let _ = verifier.validate_blocking(ValidateRequest::new(Some(&token)));
            }
            n
        })
    };
    for i in 0..FORKS {
        // SAFETY: the child validates once and exits; alarm() turns a
        // deadlock into a SIGALRM death the parent sees.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            unsafe { libc::alarm(5) };
            let outcome = verifier.validate_blocking(ValidateRequest::new(Some("pt_test_passed")));
            let ok = outcome.is_ok_and(|o| o.code == OutcomeCode::Passed);
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child {i} of {FORKS} did not validate (status {status}: a deadlock ends by SIGALRM)"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let validated = stream.join().expect("stream");
    println!("{FORKS} forks during {validated} validations: every child validated");
}

/// Run only by the test above, in its own process.
#[test]
#[ignore = "run in a subprocess by validate_after_fork_in_child_and_parent"]
fn fork_scenario() {
    let base_url =
        std::env::var(SCENARIO_ENV).expect("started by validate_after_fork_in_child_and_parent");
    let verifier = common::verifier(common::options_for(&base_url));
    let validate = |token: &str| {
        verifier
            .validate_blocking(ValidateRequest::new(Some(token)))
            .expect("outcome")
            .code
    };
    assert_eq!(validate("pt_fork_parent_before"), OutcomeCode::Passed);

    // SAFETY: the child only validates and exits; alarm() bounds a hang.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        unsafe { libc::alarm(20) };
        let code = validate("pt_fork_child");
        // Replay state is copied into the child: the parent's token stays claimed.
        let replay = validate("pt_fork_parent_before");
        let ok = code == OutcomeCode::Passed && replay == OutcomeCode::Replayed;
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status}"
    );
    assert_eq!(validate("pt_fork_parent_after"), OutcomeCode::Passed);
}
