//! TLS: the emulator's throwaway CA, trusted through the `ca_file` setting.

mod common;

use passgate_cli::mock::{MockOptions, MockServer};
use passgate_core::{Options, OutcomeCode, ValidateRequest};

#[test]
fn trusted_ca_file_passes_and_untrusted_is_unavailable() {
    let mock = MockServer::start(MockOptions {
        tls: true,
        ..MockOptions::default()
    })
    .expect("tls mock");
    assert!(
        mock.base_url.starts_with("https://127.0.0.1:"),
        "{}",
        mock.base_url
    );
    let ca_path = std::env::temp_dir().join(format!("passgate-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_path, mock.ca_pem.as_deref().expect("ca pem")).expect("write ca");

    let trusted = common::verifier(Options {
        ca_file: Some(ca_path.to_string_lossy().into_owned()),
        ..common::options_for(&mock.base_url)
    });
    let outcome = trusted
        .validate_blocking(ValidateRequest::new(Some("pt_tls_trusted")))
        .expect("outcome");
    assert_eq!(
        outcome.code,
        OutcomeCode::Passed,
        "{:?}",
        outcome.log_fields
    );

    let untrusted = common::verifier(common::options_for(&mock.base_url));
    let outcome = untrusted
        .validate_blocking(ValidateRequest::new(Some("pt_tls_untrusted")))
        .expect("outcome, not a panic");
    assert_eq!(outcome.code, OutcomeCode::UpstreamUnavailable);
    assert_eq!(outcome.log_fields.upstream_status, None);

    // Only the trusted verifier's request got through the handshake.
    assert_eq!(mock.stats().validate_calls, 1);
    let _ = std::fs::remove_file(ca_path);
}
