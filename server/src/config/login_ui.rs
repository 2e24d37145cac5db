//! `login_ui` (issue 22 §1): the built-in login, consent and logout pages under `/ui/`
//! on the public listener (`login_ui/`, docs/login-ui.md). Off by default, so the
//! headless challenge API stays exactly as it is for those who bring their own app;
//! `serve all --dev` turns it on when no app URL is configured (`config/dev.rs`).

use serde::{Deserialize, Serialize};

use super::login_ui_branding::Branding;
use super::login_ui_providers::{self, UpstreamProvider};
use crate::duration::GoDuration;

/// `login_ui`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LoginUiConfig {
    /// Serve the pages under `/ui/` (off by default).
    pub enabled: bool,
    /// Budgets of failed sign-ins.
    pub sign_in_rate_limit: SignInRateLimit,
    /// Upstream identity providers offered on the sign-in page
    /// (`config/login_ui_providers.rs`).
    pub providers: Vec<UpstreamProvider>,
    /// Where `POST /auth/logout` sends the browser after ending its session; default:
    /// the logged-out page.
    pub logout_redirect: Option<String>,
    /// Product name, logo and primary colour of every page
    /// (`config/login_ui_branding.rs`).
    pub branding: Branding,
    /// A directory of page templates replacing the built-in ones of the same name
    /// (`login.html`, `consent.html`, …; `login_ui::overrides`), loaded and checked by
    /// `Application::build` (`login_ui::look::check`).
    pub templates_dir: Option<std::path::PathBuf>,
}

/// `login_ui.sign_in_rate_limit`: how many failed sign-ins a username, and a client
/// address, may have within one window before the sign-in form answers 429 (OWASP ASVS
/// 2.2.1, anti-automation). Counted in this process's memory.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SignInRateLimit {
    /// Failed sign-ins allowed per username within `window`.
    pub per_username: u32,
    /// Failed sign-ins allowed per client address within `window`.
    pub per_ip: u32,
    /// The window the failures are counted in (fixed, starting at the first failure).
    pub window: GoDuration,
}

impl Default for SignInRateLimit {
    fn default() -> Self {
        Self {
            per_username: 5,
            per_ip: 20,
            window: GoDuration::from_secs(15 * 60),
        }
    }
}

/// Largest accepted `per_username` / `per_ip`.
pub const MAX_SIGN_IN_FAILURES: u32 = 1_000_000;
/// Longest accepted `window`: one day.
pub const MAX_SIGN_IN_WINDOW_SECS: u64 = 86_400;

impl LoginUiConfig {
    /// The problems of this configuration, as (key suffix, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let limit = &self.sign_in_rate_limit;
        for (field, value) in [
            ("per_username", limit.per_username),
            ("per_ip", limit.per_ip),
        ] {
            if !(1..=MAX_SIGN_IN_FAILURES).contains(&value) {
                problems.push((
                    format!("sign_in_rate_limit.{field}"),
                    format!("must be between 1 and {MAX_SIGN_IN_FAILURES}"),
                ));
            }
        }
        let window = limit.window.as_std();
        if window.is_zero() || window.as_secs() > MAX_SIGN_IN_WINDOW_SECS {
            problems.push((
                "sign_in_rate_limit.window".into(),
                "must be more than 0s and at most 24h".into(),
            ));
        }
        problems.extend(login_ui_providers::problems(&self.providers));
        problems.extend(self.branding.problems());
        if let Some(url) = &self.logout_redirect
            && url::Url::parse(url).is_err()
        {
            problems.push(("logout_redirect".into(), "must be an absolute URL".into()));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_checked() {
        assert!(LoginUiConfig::default().problems().is_empty());
        let mut config = LoginUiConfig::default();
        config.sign_in_rate_limit.per_ip = 0;
        config.sign_in_rate_limit.window = GoDuration::from_secs(2 * 86_400);
        let keys: Vec<String> = config.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["sign_in_rate_limit.per_ip", "sign_in_rate_limit.window"]
        );
    }
}
