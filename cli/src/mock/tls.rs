//! TLS for the emulator: a throwaway CA and a leaf certificate for
//! `127.0.0.1` and `localhost`, made fresh at every start. Tests reuse the
//! same material for other loopback servers (Redis over TLS).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A throwaway CA and a leaf certificate signed by it, for `127.0.0.1` and
/// `localhost`.
pub struct ThrowawayCerts {
    /// The CA certificate (PEM) a client must trust.
    pub ca_pem: String,
    /// The server's certificate and private key (PEM).
    pub leaf_pem: String,
    pub leaf_key_pem: String,
    leaf_der: Vec<u8>,
    leaf_key_der: Vec<u8>,
}

impl ThrowawayCerts {
    pub fn generate() -> Result<ThrowawayCerts, String> {
        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "passgate mock CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().map_err(|e| e.to_string())?;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| e.to_string())?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut leaf_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .map_err(|e| e.to_string())?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "passgate mock");
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf_key = KeyPair::generate().map_err(|e| e.to_string())?;
        let leaf_cert = leaf_params
            .signed_by(&leaf_key, &issuer)
            .map_err(|e| e.to_string())?;
        Ok(ThrowawayCerts {
            ca_pem: ca_cert.pem(),
            leaf_pem: leaf_cert.pem(),
            leaf_key_pem: leaf_key.serialize_pem(),
            leaf_der: leaf_cert.der().to_vec(),
            leaf_key_der: leaf_key.serialize_der(),
        })
    }
}

/// The acceptor and the CA certificate (PEM) a client must trust.
pub fn acceptor() -> Result<(tokio_rustls::TlsAcceptor, String), String> {
    let certs = ThrowawayCerts::generate()?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(certs.leaf_der)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certs.leaf_key_der)),
        )
        .map_err(|e| e.to_string())?;
    Ok((
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        certs.ca_pem,
    ))
}
