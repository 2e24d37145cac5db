//! `oauth2.grant.password`: the resource owner password credentials grant (RFC 6749
//! §4.3), a legacy grant (RFC 9700 §2.4: "MUST NOT be used") served only for
//! deployments migrating from it. Off by default; when on, a hook of the operator's
//! checks every username and password (Portunus stores none of them), and failed
//! attempts are counted per username and per client.

use serde::{Deserialize, Serialize};

use super::{ConfigError, WebhookConfig};
use crate::duration::GoDuration;

/// The longest counting window: a longer one keeps a locked-out username locked for
/// longer than an operator can be expected to mean.
pub const MAX_FAILURE_WINDOW_SECS: u64 = 24 * 3600;
/// The most failures a budget may allow per window.
pub const MAX_FAILURES_PER_WINDOW: u32 = 100_000;

/// `oauth2.grant.password`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordGrantConfig {
    /// Serve `grant_type=password` (off by default).
    pub enabled: bool,
    /// Where credentials are checked: POST `{username, password, client_id, scope}`,
    /// answered 200 `{subject, access_token?, id_token?}` or 401/403. Required when
    /// `enabled`.
    pub hook: Option<WebhookConfig>,
    pub failed_attempts: FailedAttemptsConfig,
}

/// `oauth2.grant.password.failed_attempts`: once a username (or a client) has had
/// this many refused credentials within `window`, further attempts are refused
/// without asking the hook until the window ends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FailedAttemptsConfig {
    pub window: GoDuration,
    pub per_username: u32,
    pub per_client: u32,
}

impl Default for FailedAttemptsConfig {
    fn default() -> Self {
        Self {
            window: GoDuration::from_secs(15 * 60),
            per_username: 5,
            per_client: 100,
        }
    }
}

impl PasswordGrantConfig {
    /// Startup checks, each error naming its key.
    pub fn validate(&self, errors: &mut Vec<ConfigError>) {
        const KEY: &str = "oauth2.grant.password";
        let invalid = |sub: &str, message: String| ConfigError::Invalid {
            key: format!("{KEY}.{sub}"),
            message,
        };
        match &self.hook {
            Some(hook) => hook.validate(&format!("{KEY}.hook"), errors),
            None if self.enabled => errors.push(invalid(
                "hook",
                "is required when the password grant is enabled: Portunus checks no passwords of its own for this grant".into(),
            )),
            None => {}
        }
        let limits = &self.failed_attempts;
        let window = limits.window.as_std();
        if window.is_zero() || window.as_secs() > MAX_FAILURE_WINDOW_SECS {
            errors.push(invalid(
                "failed_attempts.window",
                "must be more than 0s and at most 24h".into(),
            ));
        }
        for (name, value) in [
            ("failed_attempts.per_username", limits.per_username),
            ("failed_attempts.per_client", limits.per_client),
        ] {
            if value == 0 || value > MAX_FAILURES_PER_WINDOW {
                errors.push(invalid(
                    name,
                    format!("must be from 1 to {MAX_FAILURES_PER_WINDOW}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(yaml: &str) -> Vec<String> {
        let config: PasswordGrantConfig = serde_yaml::from_str(yaml).unwrap();
        let mut errors = Vec::new();
        config.validate(&mut errors);
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn off_by_default_and_valid_without_a_hook() {
        assert!(!PasswordGrantConfig::default().enabled);
        assert!(errors("{}").is_empty());
    }

    #[test]
    fn enabled_needs_a_hook() {
        let found = errors("enabled: true");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("oauth2.grant.password.hook"));
        assert!(errors("enabled: true\nhook: http://127.0.0.1:9/check").is_empty());
    }

    #[test]
    fn the_hook_and_the_budgets_are_checked_by_key() {
        let found = errors(
            "hook: ftp://x\nfailed_attempts:\n  window: 0s\n  per_username: 0\n  per_client: 100001\n",
        );
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].contains("oauth2.grant.password.hook.url"));
        assert!(found[1].contains("failed_attempts.window"));
        assert!(found[2].contains("failed_attempts.per_username"));
        assert!(found[3].contains("failed_attempts.per_client"));
        assert_eq!(errors("failed_attempts:\n  window: 25h\n").len(), 1);
    }
}
