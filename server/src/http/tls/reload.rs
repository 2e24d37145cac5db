//! The certificate a listener presents, replaceable while it serves: rustls asks the
//! resolver at every handshake, so a reloaded certificate applies to the next
//! connection and open connections keep theirs. `watch` reloads on SIGHUP and when a
//! certificate or key file changes; a reload that fails keeps the current certificate
//! and says why in the log.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::source::{CertificateSource, TlsError, load};

/// How often the certificate and key files are checked for a change.
pub const FILE_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// A listener's current certificate, and where to read it again.
pub struct ReloadingCertificate {
    source: CertificateSource,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' modification times when last read.
    seen: RwLock<(Option<SystemTime>, Option<SystemTime>)>,
}

impl fmt::Debug for ReloadingCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCertificate")
            .field("listener", &self.source.listener)
            .finish_non_exhaustive()
    }
}

impl ReloadingCertificate {
    /// Reads the certificate now: a startup error names the file that is wrong.
    pub fn new(source: CertificateSource) -> Result<Self, TlsError> {
        let seen = (source.cert.modified(), source.key.modified());
        let current = load(&source)?;
        Ok(Self {
            source,
            current: RwLock::new(current),
            seen: RwLock::new(seen),
        })
    }

    /// Reads the certificate again; on error the current one stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let seen = (self.source.cert.modified(), self.source.key.modified());
        let fresh = load(&self.source)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        *self.seen.write().unwrap_or_else(|e| e.into_inner()) = seen;
        Ok(())
    }

    /// Whether a certificate or key file changed since it was last read.
    pub fn files_changed(&self) -> bool {
        let now = (self.source.cert.modified(), self.source.key.modified());
        let seen = *self.seen.read().unwrap_or_else(|e| e.into_inner());
        (now.0.is_some() || now.1.is_some()) && now != seen
    }

    /// The certificate presented now.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn reload_and_log(&self, why: &str) {
        match self.reload() {
            Ok(()) => tracing::info!(
                listener = self.source.listener,
                reason = why,
                "TLS certificate reloaded"
            ),
            Err(e) => tracing::error!(
                listener = self.source.listener,
                reason = why,
                error = %e,
                "TLS certificate not reloaded; the current one stays"
            ),
        }
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// Reloads `certificates` on SIGHUP and when their files change, until the process
/// ends. Started once by `serve` for the listeners that serve TLS.
pub async fn watch(certificates: Vec<Arc<ReloadingCertificate>>) {
    if certificates.is_empty() {
        return;
    }
    #[cfg(unix)]
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; TLS certificates reload on file change only");
            None
        }
    };
    let mut ticks = tokio::time::interval(FILE_CHECK_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        #[cfg(unix)]
        let hangup_received = async {
            match hangup.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hangup_received = std::future::pending::<Option<()>>();
        tokio::select! {
            received = hangup_received => {
                if received.is_none() {
                    return;
                }
                for certificate in &certificates {
                    certificate.reload_and_log("SIGHUP");
                }
            }
            _ = ticks.tick() => {
                for certificate in certificates.iter().filter(|c| c.files_changed()) {
                    certificate.reload_and_log("file changed");
                }
            }
        }
    }
}
