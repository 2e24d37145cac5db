//! Startup checks that serde cannot express: required keys outside dev mode, secret
//! lengths, URL syntax. Each error names the key.

use super::{Cidr, Config, ConfigError, ReturnDomain, env_name};

/// Hydra's rule: "The system secret must be at least 16 characters long."
pub const MIN_SECRET_LEN: usize = 16;

/// The shortest `serve.admin.api_key` accepted: the admin API serves private keys, so
/// its key must not be guessable (32 characters of a random base64/hex string are
/// 128 bits or more).
pub const MIN_API_KEY_LEN: usize = 32;

impl Config {
    /// Checks the configuration after `--dev` defaults have been applied.
    pub fn validate(&self) -> Result<(), ConfigError> {
        // Every problem is collected, so one run reports them all (issue 21).
        let mut errors = Vec::new();
        if self.dsn.as_deref().is_none_or(str::is_empty) {
            errors.push(missing("dsn"));
        }
        if self.secrets.system.is_empty() {
            errors.push(missing("secrets.system"));
        }
        for (name, list) in [
            ("secrets.system", &self.secrets.system),
            ("secrets.cookie", &self.secrets.cookie),
        ] {
            if let Some(index) = list.iter().position(|s| s.chars().count() < MIN_SECRET_LEN) {
                errors.push(ConfigError::Invalid {
                    key: format!("{name}[{index}]"),
                    message: format!(
                        "each secret must be at least {MIN_SECRET_LEN} characters long"
                    ),
                });
            }
        }
        // Hydra: the issuer "must be specified … unless --dev is set". Without it every
        // token would name a loopback issuer no client outside this host can use.
        if !self.dev && self.urls.self_.issuer.is_none() && self.urls.self_.public.is_none() {
            errors.push(ConfigError::Invalid {
                key: "urls.self.issuer".into(),
                message: format!(
                    "is required outside dev mode: set it (or urls.self.public) to the URL clients reach the public listener at, in the configuration file or as environment variable {}",
                    env_name("urls.self.issuer")
                ),
            });
        }
        if let Some(key) = &self.serve.admin.api_key
            && key.chars().count() < MIN_API_KEY_LEN
        {
            errors.push(ConfigError::Invalid {
                key: "serve.admin.api_key".into(),
                message: format!(
                    "must be at least {MIN_API_KEY_LEN} characters long when set (an empty value does not turn the key off: remove the key instead)"
                ),
            });
        }
        if let Some(index) = self
            .oidc
            .dynamic_client_registration
            .initial_access_tokens
            .iter()
            .position(|t| t.chars().count() < MIN_API_KEY_LEN)
        {
            errors.push(ConfigError::Invalid {
                key: format!("oidc.dynamic_client_registration.initial_access_tokens[{index}]"),
                message: format!(
                    "each initial access token must be at least {MIN_API_KEY_LEN} characters long: it lets its holder register clients"
                ),
            });
        }
        super::tls::check(self, &mut errors);
        for (name, list) in [
            (
                "serve.public.trusted_proxies",
                &self.serve.public.trusted_proxies,
            ),
            (
                "serve.admin.trusted_proxies",
                &self.serve.admin.trusted_proxies,
            ),
            (
                "serve.tls.allow_termination_from",
                &self.serve.tls.allow_termination_from,
            ),
        ] {
            for (index, value) in list.iter().enumerate() {
                if let Err(err) = value.parse::<Cidr>() {
                    errors.push(ConfigError::Invalid {
                        key: format!("{name}[{index}]"),
                        message: err.to_string(),
                    });
                }
            }
        }
        for (index, entry) in self.urls.allowed_return_domains.iter().enumerate() {
            if let Err(err) = entry.parse::<ReturnDomain>() {
                errors.push(ConfigError::Invalid {
                    key: format!("urls.allowed_return_domains[{index}]"),
                    message: err.to_string(),
                });
            }
        }
        for (key, message) in self.rate_limit.problems() {
            errors.push(ConfigError::Invalid {
                key: format!("rate_limit.{key}"),
                message,
            });
        }
        for (key, message) in self.login_ui.problems() {
            errors.push(ConfigError::Invalid {
                key: format!("login_ui.{key}"),
                message,
            });
        }
        for (key, message) in self.events.problems() {
            errors.push(ConfigError::Invalid {
                key: format!("events.{key}"),
                message,
            });
        }
        for (key, message) in self.tracing.problems() {
            errors.push(ConfigError::Invalid {
                key: format!("tracing.{key}"),
                message,
            });
        }
        for (key, message) in self.janitor.problems() {
            errors.push(ConfigError::Invalid {
                key: format!("janitor.{key}"),
                message,
            });
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
            ("urls.device.verification", &self.urls.device.verification),
            ("urls.device.success", &self.urls.device.success),
        ];
        for (key, value) in urls {
            if let Some(value) = value {
                let parsed = match url::Url::parse(value) {
                    Ok(parsed) => parsed,
                    Err(e) => {
                        errors.push(ConfigError::Invalid {
                            key: key.to_owned(),
                            message: format!("{value:?} is not an absolute URL: {e}"),
                        });
                        continue;
                    }
                };
                if !matches!(parsed.scheme(), "http" | "https") {
                    errors.push(ConfigError::Invalid {
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
            errors.push(ConfigError::Invalid {
                key: "oauth2.grant.refresh_token.rotation_grace_period".into(),
                message: "must not exceed 5m".into(),
            });
        }
        let par = self.ttl.par.as_std();
        if par < std::time::Duration::from_secs(1) || par > std::time::Duration::from_secs(600) {
            errors.push(ConfigError::Invalid {
                key: "ttl.par".into(),
                message: "must be between 1s and 10m".into(),
            });
        }
        let vc_nonce = self.ttl.vc_nonce.as_std();
        if vc_nonce < std::time::Duration::from_secs(1)
            || vc_nonce > std::time::Duration::from_secs(24 * 3600)
        {
            errors.push(ConfigError::Invalid {
                key: "ttl.vc_nonce".into(),
                message: "must be between 1s and 24h".into(),
            });
        }
        if self.oauth2.grant.jwt.max_ttl.as_std().is_zero() {
            errors.push(ConfigError::Invalid {
                key: "oauth2.grant.jwt.max_ttl".into(),
                message: "must be longer than 0s".into(),
            });
        }
        self.validate_dpop(&mut errors);
        self.serve
            .public
            .cors
            .validate("serve.public.cors", &mut errors);
        self.serve
            .admin
            .cors
            .validate("serve.admin.cors", &mut errors);
        self.validate_device(&mut errors);
        self.validate_authorization_details(&mut errors);
        if self
            .oauth2
            .client_secret_rotation
            .grace_period
            .as_std()
            .as_secs()
            > super::MAX_SECRET_GRACE_PERIOD_SECS
        {
            errors.push(ConfigError::Invalid {
                key: "oauth2.client_secret_rotation.grace_period".into(),
                message: "must not exceed 720h".into(),
            });
        }
        for (key, hook) in [
            ("oauth2.token_hook", &self.oauth2.token_hook),
            ("oauth2.refresh_token_hook", &self.oauth2.refresh_token_hook),
        ] {
            if let Some(hook) = hook {
                hook.validate(key, &mut errors);
            }
        }
        self.oauth2.grant.password.validate(&mut errors);
        let metrics = &self.serve.metrics;
        if metrics.port != 0 && !metrics.enabled {
            errors.push(ConfigError::Invalid {
                key: "serve.metrics.port".into(),
                message: "a metrics listener needs serve.metrics.enabled: true".into(),
            });
        }
        if metrics.port != 0
            && [self.serve.public.port, self.serve.admin.port].contains(&metrics.port)
        {
            errors.push(ConfigError::Invalid {
                key: "serve.metrics.port".into(),
                message: format!(
                    "{} is already the public or admin port; the metrics listener needs its own",
                    metrics.port
                ),
            });
        }
        self.validate_database(&mut errors);
        self.validate_listener_limits(&mut errors);
        self.oauth2
            .client_id_metadata_document
            .validate(&mut errors);
        let exceptions = &self.clients.http.private_ip_exception_urls;
        for (index, value) in exceptions.iter().enumerate() {
            if url::Url::parse(value).is_err() {
                errors.push(ConfigError::Invalid {
                    key: format!("clients.http.private_ip_exception_urls[{index}]"),
                    message: format!("{value:?} is not an absolute URL"),
                });
            }
        }
        let subjects = &self.oidc.subject_identifiers;
        for (index, value) in subjects.supported_types.iter().enumerate() {
            if !matches!(value.as_str(), "public" | "pairwise") {
                errors.push(ConfigError::Invalid {
                    key: format!("oidc.subject_identifiers.supported_types[{index}]"),
                    message: format!("{value:?} is not public or pairwise"),
                });
            }
        }
        if subjects.supported_types.iter().any(|t| t == "pairwise")
            && subjects.pairwise.salt.chars().count() < MIN_SECRET_LEN
        {
            errors.push(ConfigError::Invalid {
                key: "oidc.subject_identifiers.pairwise.salt".into(),
                message: format!(
                    "must be at least {MIN_SECRET_LEN} characters long when pairwise is supported"
                ),
            });
        }
        if self.serve.request_body_limit < 1024 {
            errors.push(ConfigError::Invalid {
                key: "serve.request_body_limit".into(),
                message: "must be at least 1024 bytes".into(),
            });
        }
        ConfigError::from_all(errors)
    }

    /// `oauth2.dpop`: asymmetric JWS algorithms only (RFC 9449 §4.2: "MUST NOT be none
    /// or an identifier for a symmetric algorithm"), at least one; windows that are
    /// not zero and not absurd.
    fn validate_dpop(&self, errors: &mut Vec<ConfigError>) {
        let dpop = &self.oauth2.dpop;
        if dpop.signing_algorithms.is_empty() {
            errors.push(ConfigError::Invalid {
                key: "oauth2.dpop.signing_algorithms".into(),
                message: "must name at least one algorithm".into(),
            });
        }
        for (index, alg) in dpop.signing_algorithms.iter().enumerate() {
            if !DPOP_ALGORITHMS.contains(&alg.as_str()) {
                errors.push(ConfigError::Invalid {
                    key: format!("oauth2.dpop.signing_algorithms[{index}]"),
                    message: format!(
                        "{alg:?} is not an asymmetric JWS algorithm ({})",
                        DPOP_ALGORITHMS.join(", ")
                    ),
                });
            }
        }
        if self.oauth2.profile == super::SecurityProfile::Fapi2
            && self.effective_dpop().signing_algorithms.is_empty()
        {
            errors.push(ConfigError::Invalid {
                key: "oauth2.dpop.signing_algorithms".into(),
                message: format!(
                    "must name one of {} when oauth2.profile is fapi2 (FAPI 2.0 Security Profile Section 5.4.1)",
                    super::FAPI2_SIGNING_ALGORITHMS.join(", ")
                ),
            });
        }
        for (key, value, max) in [
            ("oauth2.dpop.proof_max_age", dpop.proof_max_age, 3600),
            ("oauth2.dpop.clock_skew", dpop.clock_skew, 300),
            ("oauth2.dpop.nonce_lifespan", dpop.nonce_lifespan, 86_400),
        ] {
            let secs = value.as_std().as_secs();
            if secs > max || (secs == 0 && key != "oauth2.dpop.clock_skew") {
                errors.push(ConfigError::Invalid {
                    key: key.into(),
                    message: format!("must be between 1s and {max}s"),
                });
            }
        }
    }
}

impl Config {
    /// `oauth2.device_authorization` and `ttl.device_user_code` (RFC 8628).
    fn validate_device(&self, errors: &mut Vec<ConfigError>) {
        let device = &self.oauth2.device_authorization;
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.into(),
            message,
        };
        let lifetime = self.ttl.device_user_code.as_std().as_secs();
        if !(60..=3600).contains(&lifetime) {
            errors.push(invalid(
                "ttl.device_user_code",
                "must be between 1m and 1h".into(),
            ));
        }
        let interval = device.token_polling_interval.as_std().as_secs();
        if !(1..=60).contains(&interval) {
            errors.push(invalid(
                "oauth2.device_authorization.token_polling_interval",
                "must be between 1s and 1m".into(),
            ));
        }
        if !(1..=10).contains(&device.user_code.max_attempts) {
            errors.push(invalid(
                "oauth2.device_authorization.user_code.max_attempts",
                "must be between 1 and 10 (RFC 8628 Section 5.1)".into(),
            ));
        }
        if let Err((key, message)) = super::UserCodeFormat::from_config(&device.user_code) {
            errors.push(invalid(key, message));
        }
    }
}

impl Config {
    /// `oauth2.authorization_details.types_supported` (RFC 9396 §10.1): at most
    /// [`MAX_AUTHORIZATION_DETAILS_TYPES`] names, each 1 to 255 printable ASCII
    /// characters without space, `"` or `\` (the names appear in error descriptions).
    fn validate_authorization_details(&self, errors: &mut Vec<ConfigError>) {
        let key = "oauth2.authorization_details.types_supported";
        let types = &self.oauth2.authorization_details.types_supported;
        if types.len() > MAX_AUTHORIZATION_DETAILS_TYPES {
            errors.push(ConfigError::Invalid {
                key: key.into(),
                message: format!("must name at most {MAX_AUTHORIZATION_DETAILS_TYPES} types"),
            });
        }
        let bad = |t: &String| {
            t.is_empty()
                || t.len() > 255
                || t.bytes()
                    .any(|b| !(0x21..=0x7e).contains(&b) || b == b'"' || b == b'\\')
        };
        if let Some(index) = types.iter().position(bad) {
            errors.push(ConfigError::Invalid {
                key: format!("{key}[{index}]"),
                message:
                    "must be 1 to 255 printable ASCII characters without space, quote or backslash"
                        .into(),
            });
        }
    }
}

/// The most types `oauth2.authorization_details.types_supported` may name.
pub const MAX_AUTHORIZATION_DETAILS_TYPES: usize = 64;

/// The JWS algorithms a DPoP proof may use (RFC 7518 §3.3 to §3.5, RFC 8037 §3.1).
pub const DPOP_ALGORITHMS: [&str; 10] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

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
        let mut config = Config {
            dsn: Some("sqlite://x.db".into()),
            secrets: crate::config::SecretsConfig {
                system: vec!["0123456789abcdef".into()],
                cookie: vec![],
            },
            ..Config::default()
        };
        config.urls.self_.issuer = Some("https://auth.example.com/".into());
        config
    }

    fn error_of(config: &Config) -> String {
        config.validate().unwrap_err().to_string()
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut config = valid();
        config.dsn = None;
        config.urls.login = Some("not a url".into());
        config.serve.request_body_limit = 1;
        let err = error_of(&config);
        assert!(err.starts_with("3 configuration errors:"), "{err}");
        for key in ["`dsn`", "`urls.login`", "`serve.request_body_limit`"] {
            assert!(err.contains(key), "{key} in {err}");
        }
        let env = |name: &str| {
            matches!(name, "SERVE_PUBLIC_PORT" | "SERVE_ADMIN_PORT").then(|| "abc".to_owned())
        };
        let err = crate::config::load(None, &env).unwrap_err().to_string();
        assert!(
            err.contains("serve.public.port") && err.contains("serve.admin.port"),
            "{err}"
        );
    }

    #[test]
    fn a_metrics_port_needs_metrics_on_and_a_port_of_its_own() {
        let mut config = valid();
        config.serve.metrics.port = 9464;
        assert!(config.validate().is_ok());
        config.serve.metrics.enabled = false;
        assert!(error_of(&config).contains("serve.metrics.enabled"));
        config.serve.metrics.enabled = true;
        config.serve.metrics.port = config.serve.admin.port;
        assert!(error_of(&config).contains("`serve.metrics.port`"));
    }

    #[test]
    fn rfc9396_authorization_details_types_are_names() {
        let mut config = valid();
        config.oauth2.authorization_details.types_supported =
            vec!["payment_initiation".into(), "urn:example:type".into()];
        assert!(config.validate().is_ok());
        config.oauth2.authorization_details.types_supported = vec!["has space".into()];
        let err = error_of(&config);
        assert!(
            err.contains("oauth2.authorization_details.types_supported[0]"),
            "{err}"
        );
        config.oauth2.authorization_details.types_supported =
            vec!["t".into(); MAX_AUTHORIZATION_DETAILS_TYPES + 1];
        assert!(error_of(&config).contains("at most"));
    }

    #[test]
    fn the_issuer_is_required_outside_dev_mode() {
        let mut config = valid();
        config.urls.self_.issuer = None;
        let err = error_of(&config);
        assert!(
            err.contains("urls.self.issuer") && err.contains("URLS_SELF_ISSUER"),
            "{err}"
        );
        config.urls.self_.public = Some("https://auth.example.com/".into());
        assert!(config.validate().is_ok(), "urls.self.public is enough");
        config.urls.self_.public = None;
        config.dev = true;
        assert!(config.validate().is_ok(), "dev mode has a default");
        assert_eq!(config.issuer(), "http://127.0.0.1:4444/");
        assert_eq!(config.public_url(), "http://127.0.0.1:4444");
    }

    #[test]
    fn short_or_empty_admin_api_keys_are_refused() {
        let mut config = valid();
        for short in ["", "secret", &"k".repeat(MIN_API_KEY_LEN - 1)] {
            config.serve.admin.api_key = Some(short.to_owned());
            let err = error_of(&config);
            assert!(err.contains("serve.admin.api_key"), "{short:?}: {err}");
            assert!(!err.contains(short) || short.is_empty(), "never echoed");
        }
        config.serve.admin.api_key = Some("k".repeat(MIN_API_KEY_LEN));
        assert!(config.validate().is_ok());
        config.serve.admin.api_key = None;
        assert!(config.validate().is_ok(), "no key: Hydra's open admin API");
    }

    #[test]
    fn short_initial_access_tokens_are_refused() {
        let mut config = valid();
        let dcr = &mut config.oidc.dynamic_client_registration;
        dcr.initial_access_tokens = vec!["t".repeat(MIN_API_KEY_LEN), "short".into()];
        let err = error_of(&config);
        assert!(
            err.contains("oidc.dynamic_client_registration.initial_access_tokens[1]"),
            "{err}"
        );
        assert!(!err.contains("short\""), "never echoed: {err}");
        config
            .oidc
            .dynamic_client_registration
            .initial_access_tokens = vec!["t".repeat(MIN_API_KEY_LEN)];
        assert!(config.validate().is_ok());
    }

    #[test]
    fn trusted_proxies_must_be_cidr_ranges() {
        let mut config = valid();
        config.serve.public.trusted_proxies = vec!["10.0.0.0/8".into(), "::1".into()];
        config.serve.admin.trusted_proxies = vec!["127.0.0.1/32".into()];
        config.serve.tls.allow_termination_from = vec!["192.168.0.0/16".into()];
        assert!(config.validate().is_ok());
        assert_eq!(config.trusted_proxies(false).len(), 3);
        assert_eq!(config.trusted_proxies(true).len(), 2);
        config
            .serve
            .public
            .trusted_proxies
            .push("10.0.0.0/33".into());
        let err = error_of(&config);
        assert!(err.contains("serve.public.trusted_proxies[2]"), "{err}");
        config.serve.public.trusted_proxies.pop();
        config.serve.admin.trusted_proxies = vec!["proxy.internal".into()];
        let err = error_of(&config);
        assert!(err.contains("serve.admin.trusted_proxies[0]"), "{err}");
        config.serve.admin.trusted_proxies.clear();
        config.serve.tls.allow_termination_from = vec!["10.0.0.0/".into()];
        let err = error_of(&config);
        assert!(err.contains("serve.tls.allow_termination_from[0]"), "{err}");
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
