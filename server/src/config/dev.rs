//! `serve --dev`: a working server from one command. Missing `dsn` becomes an SQLite file
//! in the working directory; a missing system secret is generated once and kept in a file
//! beside it, so keys and tokens encrypted with it survive a restart.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::{Config, ConfigError};

pub const DEV_DSN: &str = "sqlite://portunus.sqlite";
pub const DEV_SECRET_FILE: &str = "portunus.dev-secret";

/// What `apply_dev_defaults` decided, for the startup log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DevNotes {
    pub dsn_defaulted: bool,
    pub secret_generated: bool,
    pub secret_loaded_from: Option<String>,
    /// The built-in login UI was turned on and `urls.login/consent/logout` point at it.
    pub login_ui_enabled: bool,
}

impl Config {
    /// Applies dev-mode defaults; `dir` is where the secret file lives (the working
    /// directory in production use, a temp dir in tests).
    pub fn apply_dev_defaults(&mut self, dir: &Path) -> Result<DevNotes, ConfigError> {
        self.dev = true;
        let mut notes = DevNotes::default();
        if self.dsn.as_deref().is_none_or(str::is_empty) {
            let path = dir.join("portunus.sqlite");
            self.dsn = Some(format!("sqlite://{}", path.display()));
            notes.dsn_defaulted = true;
        }
        if self.secrets.system.is_empty() {
            let file = dir.join(DEV_SECRET_FILE);
            let io_err = |source| ConfigError::Read {
                path: file.display().to_string(),
                source,
            };
            let existing = match std::fs::read_to_string(&file) {
                Ok(text) => Some(text.trim().to_owned()).filter(|s| s.len() >= 16),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
                Err(err) => return Err(io_err(err)),
            };
            let secret = match existing {
                Some(secret) => {
                    notes.secret_loaded_from = Some(file.display().to_string());
                    secret
                }
                None => {
                    let mut bytes = [0u8; 32];
                    rand::rng().fill_bytes(&mut bytes);
                    let secret = URL_SAFE_NO_PAD.encode(bytes);
                    std::fs::write(&file, format!("{secret}\n")).map_err(io_err)?;
                    notes.secret_generated = true;
                    notes.secret_loaded_from = Some(file.display().to_string());
                    secret
                }
            };
            self.secrets.system = vec![secret];
        }
        notes.login_ui_enabled = self.use_login_ui_by_default();
        Ok(notes)
    }

    /// With none of the three app URLs configured, a dev server has nowhere to send a
    /// user: serve the built-in pages and point the URLs at them (issue 22 §1), the
    /// device pages too when neither device URL is set. One URL set means the operator
    /// brings an app, and nothing changes.
    fn use_login_ui_by_default(&mut self) -> bool {
        let urls = &self.urls;
        if urls.login.is_some() || urls.consent.is_some() || urls.logout.is_some() {
            return false;
        }
        let base = self.public_url();
        self.login_ui.enabled = true;
        self.urls.login = Some(format!("{base}/ui/login"));
        self.urls.consent = Some(format!("{base}/ui/consent"));
        self.urls.logout = Some(format!("{base}/ui/logout"));
        let device = &mut self.urls.device;
        if device.verification.is_none() && device.success.is_none() {
            device.verification = Some(format!("{base}/ui/device"));
            device.success = Some(format!("{base}/ui/device/done"));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_mode_keeps_an_operators_login_app() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.urls.logout = Some("https://app.example/logout".into());
        let notes = config.apply_dev_defaults(dir.path()).unwrap();
        assert!(!notes.login_ui_enabled && !config.login_ui.enabled);
        assert_eq!(config.urls.login, None);
    }

    #[test]
    fn dev_defaults_generate_once_then_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = Config::default();
        let notes = first.apply_dev_defaults(dir.path()).unwrap();
        assert!(notes.dsn_defaulted && notes.secret_generated);
        assert!(first.validate().is_ok());
        assert!(notes.login_ui_enabled && first.login_ui.enabled);
        assert_eq!(
            first.urls.consent.as_deref(),
            Some("http://127.0.0.1:4444/ui/consent")
        );
        assert_eq!(
            first.urls.device.verification.as_deref(),
            Some("http://127.0.0.1:4444/ui/device")
        );
        let mut second = Config::default();
        let notes = second.apply_dev_defaults(dir.path()).unwrap();
        assert!(!notes.secret_generated);
        assert_eq!(first.secrets.system, second.secrets.system);
    }
}
