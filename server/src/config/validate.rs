//! Startup checks that serde cannot express: required keys outside dev mode, secret
//! lengths, URL syntax. Each error names the key.

use super::{Config, ConfigError, env_name};

/// Hydra's rule: "The system secret must be at least 16 characters long."
pub const MIN_SECRET_LEN: usize = 16;

impl Config {
    /// Checks the configuration after `--dev` defaults have been applied.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.dsn.as_deref().is_none_or(str::is_empty) {
            return Err(missing("dsn"));
        }
        if self.secrets.system.is_empty() {
            return Err(missing("secrets.system"));
        }
        for (name, list) in [
            ("secrets.system", &self.secrets.system),
            ("secrets.cookie", &self.secrets.cookie),
        ] {
            if let Some(index) = list.iter().position(|s| s.chars().count() < MIN_SECRET_LEN) {
                return Err(ConfigError::Invalid {
                    key: format!("{name}[{index}]"),
                    message: format!(
                        "each secret must be at least {MIN_SECRET_LEN} characters long"
                    ),
                });
            }
        }
        let urls = [
            ("urls.self.issuer", &self.urls.self_.issuer),
            ("urls.self.public", &self.urls.self_.public),
            ("urls.self.admin", &self.urls.self_.admin),
            ("urls.login", &self.urls.login),
            ("urls.consent", &self.urls.consent),
            ("urls.logout", &self.urls.logout),
            ("urls.error", &self.urls.error),
            ("urls.post_logout_redirect", &self.urls.post_logout_redirect),
        ];
        for (key, value) in urls {
            if let Some(value) = value {
                let parsed = url::Url::parse(value).map_err(|e| ConfigError::Invalid {
                    key: key.to_owned(),
                    message: format!("{value:?} is not an absolute URL: {e}"),
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::Invalid {
                        key: key.to_owned(),
                        message: format!("{value:?} must be an http or https URL"),
                    });
                }
            }
        }
        if self
            .oauth2
            .grant
            .refresh_token
            .rotation_grace_period
            .as_std()
            .as_secs()
            > 300
        {
            return Err(ConfigError::Invalid {
                key: "oauth2.grant.refresh_token.rotation_grace_period".into(),
                message: "must not exceed 5m".into(),
            });
        }
        let exceptions = &self.clients.http.private_ip_exception_urls;
        for (index, value) in exceptions.iter().enumerate() {
            if url::Url::parse(value).is_err() {
                return Err(ConfigError::Invalid {
                    key: format!("clients.http.private_ip_exception_urls[{index}]"),
                    message: format!("{value:?} is not an absolute URL"),
                });
            }
        }
        let subjects = &self.oidc.subject_identifiers;
        for (index, value) in subjects.supported_types.iter().enumerate() {
            if !matches!(value.as_str(), "public" | "pairwise") {
                return Err(ConfigError::Invalid {
                    key: format!("oidc.subject_identifiers.supported_types[{index}]"),
                    message: format!("{value:?} is not public or pairwise"),
                });
            }
        }
        if subjects.supported_types.iter().any(|t| t == "pairwise")
            && subjects.pairwise.salt.chars().count() < MIN_SECRET_LEN
        {
            return Err(ConfigError::Invalid {
                key: "oidc.subject_identifiers.pairwise.salt".into(),
                message: format!(
                    "must be at least {MIN_SECRET_LEN} characters long when pairwise is supported"
                ),
            });
        }
        if self.serve.request_body_limit < 1024 {
            return Err(ConfigError::Invalid {
                key: "serve.request_body_limit".into(),
                message: "must be at least 1024 bytes".into(),
            });
        }
        Ok(())
    }
}

fn missing(key: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: format!(
            "is required (set it in the configuration file or as environment variable {}), or run with --dev",
            env_name(key)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Config {
        Config {
            dsn: Some("sqlite://x.db".into()),
            secrets: crate::config::SecretsConfig {
                system: vec!["0123456789abcdef".into()],
                cookie: vec![],
            },
            ..Config::default()
        }
    }

    #[test]
    fn requires_dsn_and_secret() {
        assert!(valid().validate().is_ok());
        let err = Config {
            dsn: None,
            ..valid()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(err.contains("`dsn`") && err.contains("DSN"), "{err}");
        let mut no_secret = valid();
        no_secret.secrets.system.clear();
        let err = no_secret.validate().unwrap_err().to_string();
        assert!(
            err.contains("secrets.system") && err.contains("SECRETS_SYSTEM"),
            "{err}"
        );
    }

    #[test]
    fn short_secret_and_bad_url_are_named() {
        let mut short = valid();
        short.secrets.system.push("short".into());
        let err = short.validate().unwrap_err().to_string();
        assert!(err.contains("secrets.system[1]"), "{err}");
        let mut bad = valid();
        bad.urls.login = Some("not a url".into());
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("urls.login"), "{err}");
    }
}
