//! fork(): validate in a parent, fork, validate in the child and again in
//! the parent. Runs in a re-executed copy of this test binary so that the
//! fork happens in a quiet process, bounded by a timeout.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use passgate_core::{OutcomeCode, ValidateRequest};

const SCENARIO_ENV: &str = "PASSGATE_FORK_SCENARIO_BASE";

#[test]
fn validate_after_fork_in_child_and_parent() {
    let mock = common::mock();
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "--ignored",
            "fork_scenario",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(SCENARIO_ENV, &mock.base_url)
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
    assert!(status.success(), "fork scenario failed: {status:?}");
    // Parent before fork, child, parent after fork.
    assert_eq!(mock.stats().validate_calls, 3);
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
