//! Where a listener's certificate chain and private key come from (`path` or `base64`,
//! as Hydra's `serve.tls.cert` / `serve.tls.key`), and reading them into a rustls
//! `CertifiedKey`. Every error is one line naming the file or key that is wrong.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// The largest certificate chain or key file read: a chain of a few certificates is a
/// few KiB; a bigger file is a mistake, not a certificate.
const MAX_PEM_LEN: u64 = 1024 * 1024;

/// One PEM input: a file, or the base64 of the PEM inline in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pem {
    File(PathBuf),
    Inline { key: String, base64: String },
}

impl Pem {
    /// How errors name this input: the file, or the configuration key.
    pub fn describe(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Inline { key, .. } => key.clone(),
        }
    }

    fn read(&self) -> Result<Vec<u8>, TlsError> {
        match self {
            Self::File(path) => {
                let fail = |why: String| TlsError(format!("{}: {why}", path.display()));
                let len = std::fs::metadata(path)
                    .map_err(|e| fail(e.to_string()))?
                    .len();
                if len > MAX_PEM_LEN {
                    return Err(fail(format!("larger than {MAX_PEM_LEN} bytes")));
                }
                std::fs::read(path).map_err(|e| fail(e.to_string()))
            }
            Self::Inline { key, base64 } => {
                let compact: String = base64.split_whitespace().collect();
                STANDARD
                    .decode(compact)
                    .map_err(|e| TlsError(format!("{key}: not base64 ({e})")))
            }
        }
    }

    /// When the file last changed (`None` for inline PEM or an unreadable file).
    pub fn modified(&self) -> Option<std::time::SystemTime> {
        match self {
            Self::File(path) => std::fs::metadata(path).and_then(|m| m.modified()).ok(),
            Self::Inline { .. } => None,
        }
    }
}

/// A listener's certificate chain and private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSource {
    pub listener: &'static str,
    pub cert: Pem,
    pub key: Pem,
}

/// A certificate or key that cannot be used, said in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLS: {0}")]
pub struct TlsError(pub String);

/// Reads and checks the chain and key: at least one certificate, one private key
/// (PKCS#8, PKCS#1 or SEC1), and the key belongs to the first certificate.
pub fn load(source: &CertificateSource) -> Result<Arc<CertifiedKey>, TlsError> {
    let cert_pem = source.cert.read()?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError(format!("{}: {e}", source.cert.describe())))?;
    if chain.is_empty() {
        return Err(TlsError(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) found",
            source.cert.describe()
        )));
    }
    let key_pem = source.key.read()?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        TlsError(format!(
            "{}: no PEM private key found ({e})",
            source.key.describe()
        ))
    })?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let certified = CertifiedKey::from_der(chain, key, &provider).map_err(|e| {
        TlsError(format!(
            "{} and {}: {e}",
            source.cert.describe(),
            source.key.describe()
        ))
    })?;
    Ok(Arc::new(certified))
}

/// One PEM input from the configuration, `None` when neither form is set. `validate`
/// refuses both forms at once.
fn pem(config: &crate::config::PemSourceConfig, key: &str) -> Option<Pem> {
    match (&config.path, &config.base64) {
        (Some(path), _) if !path.is_empty() => Some(Pem::File(PathBuf::from(path))),
        (_, Some(base64)) if !base64.is_empty() => Some(Pem::Inline {
            key: format!("{key}.base64"),
            base64: base64.clone(),
        }),
        _ => None,
    }
}

/// The certificate of the public (`admin == false`) or admin listener: its own
/// `serve.<listener>.tls` when set, else `serve.tls`; `None` for plain HTTP.
pub fn source_for(config: &crate::config::Config, admin: bool) -> Option<CertificateSource> {
    let (listener, own) = if admin {
        ("admin", &config.serve.admin.tls)
    } else {
        ("public", &config.serve.public.tls)
    };
    let (prefix, cert, key) = if own.cert.is_set() || own.key.is_set() {
        (format!("serve.{listener}.tls"), &own.cert, &own.key)
    } else {
        (
            "serve.tls".to_owned(),
            &config.serve.tls.cert,
            &config.serve.tls.key,
        )
    };
    Some(CertificateSource {
        listener,
        cert: pem(cert, &format!("{prefix}.cert"))?,
        key: pem(key, &format!("{prefix}.key"))?,
    })
}
