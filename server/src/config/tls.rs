//! Hydra's `serve.tls` and `serve.<listener>.tls`: where the listeners' certificates
//! come from (`http/tls` serves them), and the checks made before anything starts.

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};

/// Hydra's `serve.tls`: the certificate both listeners serve HTTPS with (HTTP/2 and
/// HTTP/1.1 by ALPN) unless a listener has its own (`serve.<listener>.tls`). Without a
/// certificate the listeners speak plain HTTP (behind a TLS-terminating proxy).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Refuse to start without a certificate for every listener (a certificate alone
    /// already turns TLS on).
    pub enabled: bool,
    /// The private key (PKCS#8, PKCS#1 or SEC1 PEM).
    pub key: PemSourceConfig,
    /// The certificate chain (PEM, leaf first).
    pub cert: PemSourceConfig,
    /// Hydra's name for trusted proxies: CIDR ranges added to the `trusted_proxies`
    /// of both listeners.
    pub allow_termination_from: Vec<String>,
}

/// Hydra's `serve.<listener>.tls`: a certificate for one listener, replacing
/// `serve.tls`'s there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ListenerTlsConfig {
    pub key: PemSourceConfig,
    pub cert: PemSourceConfig,
}

/// Hydra's PEM source: a file (`path`) or the base64 of the PEM (`base64`), not both.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PemSourceConfig {
    pub path: Option<String>,
    pub base64: Option<String>,
}

impl PemSourceConfig {
    /// Whether either form is set (an empty string counts as unset).
    pub fn is_set(&self) -> bool {
        self.path.as_deref().is_some_and(|p| !p.is_empty())
            || self.base64.as_deref().is_some_and(|b| !b.is_empty())
    }
}

/// Each PEM source is a file or inline, not both; a certificate comes with its key;
/// with `serve.tls.enabled` every listener has a certificate.
pub(super) fn check(config: &Config, errors: &mut Vec<ConfigError>) {
    let serve = &config.serve;
    let sources = [
        ("serve.tls", &serve.tls.cert, &serve.tls.key),
        (
            "serve.public.tls",
            &serve.public.tls.cert,
            &serve.public.tls.key,
        ),
        (
            "serve.admin.tls",
            &serve.admin.tls.cert,
            &serve.admin.tls.key,
        ),
    ];
    for (prefix, cert, key) in sources {
        for (name, source) in [("cert", cert), ("key", key)] {
            let both = source.path.as_deref().is_some_and(|p| !p.is_empty())
                && source.base64.as_deref().is_some_and(|b| !b.is_empty());
            if both {
                errors.push(ConfigError::Invalid {
                    key: format!("{prefix}.{name}"),
                    message: "set path or base64, not both".into(),
                });
            }
        }
        if cert.is_set() != key.is_set() {
            let (missing, given) = if cert.is_set() {
                ("key", "cert")
            } else {
                ("cert", "key")
            };
            errors.push(ConfigError::Invalid {
                key: format!("{prefix}.{missing}"),
                message: format!(
                    "is required with {prefix}.{given} (a certificate needs its private key)"
                ),
            });
        }
    }
    if serve.tls.enabled {
        let global = serve.tls.cert.is_set();
        for (listener, own) in [("public", &serve.public.tls), ("admin", &serve.admin.tls)] {
            if !global && !own.cert.is_set() {
                errors.push(ConfigError::Invalid {
                    key: format!("serve.{listener}.tls.cert"),
                    message: "serve.tls.enabled is on but this listener has no certificate: set serve.tls.cert and serve.tls.key (or the listener's own)".into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(config: &Config) -> Vec<String> {
        let mut errors = Vec::new();
        check(config, &mut errors);
        errors.iter().map(ToString::to_string).collect()
    }

    fn file(path: &str) -> PemSourceConfig {
        PemSourceConfig {
            path: Some(path.into()),
            base64: None,
        }
    }

    #[test]
    fn sources_are_complete_and_unambiguous() {
        let mut config = Config::default();
        assert!(errors(&config).is_empty(), "plain HTTP by default");
        config.serve.tls.cert = file("/etc/tls/cert.pem");
        let found = errors(&config);
        assert!(
            found.iter().any(|e| e.contains("serve.tls.key")),
            "{found:?}"
        );
        config.serve.tls.key = PemSourceConfig {
            path: Some("/etc/tls/key.pem".into()),
            base64: Some("LS0t".into()),
        };
        let found = errors(&config);
        assert!(
            found
                .iter()
                .any(|e| e.contains("serve.tls.key") && e.contains("not both")),
            "{found:?}"
        );
        config.serve.tls.key = file("/etc/tls/key.pem");
        assert!(errors(&config).is_empty());
    }

    #[test]
    fn enabled_needs_a_certificate_for_each_listener() {
        let mut config = Config::default();
        config.serve.tls.enabled = true;
        let found = errors(&config);
        assert_eq!(found.len(), 2, "{found:?}");
        config.serve.public.tls.cert = file("/p/cert.pem");
        config.serve.public.tls.key = file("/p/key.pem");
        let found = errors(&config);
        assert!(
            found.len() == 1 && found[0].contains("serve.admin.tls.cert"),
            "{found:?}"
        );
        config.serve.tls.cert = file("/g/cert.pem");
        config.serve.tls.key = file("/g/key.pem");
        assert!(errors(&config).is_empty());
    }
}
