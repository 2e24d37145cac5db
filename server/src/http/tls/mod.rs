//! TLS on the listeners themselves (Hydra's `serve.tls.*`, per listener
//! `serve.public.tls.*` / `serve.admin.tls.*`), with rustls: the certificate chain and
//! key come from a file (`…path`) or inline (`…base64`, base64 of the PEM), HTTP/2 and
//! HTTP/1.1 are offered by ALPN (RFC 7301), and a certificate read from files is read
//! again on SIGHUP and when the files change, without dropping a connection: a
//! handshake takes the certificate current at that moment (`ReloadingCertificate`).
//!
//! - `source.rs`: where a listener's certificate and key come from, and reading them;
//! - `reload.rs`: the certificate resolver and the task that reloads it.

mod reload;
mod source;

pub use reload::{ReloadingCertificate, watch};
pub use source::{CertificateSource, TlsError, load, source_for};

use std::sync::Arc;

/// The rustls server configuration of a listener: ALPN `h2` then `http/1.1`, the
/// certificate from `certificate` at each handshake, no client certificates.
pub fn server_config(certificate: Arc<ReloadingCertificate>) -> rustls::ServerConfig {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|builder| {
        builder
            .with_no_client_auth()
            .with_cert_resolver(certificate.clone())
    })
    // The provider's defaults are rustls' own and always valid; fall back to the
    // process-wide builder rather than fail a listener over it.
    .unwrap_or_else(|_| {
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_cert_resolver(certificate)
    });
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}
