//! Hydra's `webhook_config` (the `oauth2.token_hook` and `oauth2.refresh_token_hook`
//! keys): either a URL string or `{url, auth: {type: api_key, config: {in, name,
//! value}}}`. Portunus adds `timeout` to the object form (Hydra has no per-hook
//! timeout; a hook that hangs would hold the token request forever).

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::duration::GoDuration;

/// The default time a hook may take, connection included.
pub const DEFAULT_HOOK_TIMEOUT_SECS: u64 = 5;
/// The longest `timeout` accepted: a token request waits for the hook.
pub const MAX_HOOK_TIMEOUT_SECS: u64 = 30;

/// A webhook the server calls (Hydra's `webhook_config`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookConfig {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<WebhookAuth>,
    /// How long one call may take (Portunus; default 5s, at most 30s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
}

/// `auth` of a webhook: Hydra knows one type, `api_key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookAuth {
    #[serde(rename = "type")]
    pub kind: WebhookAuthType,
    pub config: ApiKeyConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookAuthType {
    ApiKey,
}

/// Where the API key goes: a header (default) or a cookie, under `name`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    #[serde(rename = "in", default)]
    pub location: ApiKeyLocation,
    pub name: String,
    pub value: String,
}

/// Never prints the key.
impl std::fmt::Debug for ApiKeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("in", &self.location)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    #[default]
    Header,
    Cookie,
}

/// The two spellings Hydra accepts.
#[derive(Deserialize)]
#[serde(untagged)]
enum WebhookRepr {
    Url(String),
    Object(WebhookObject),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookObject {
    url: String,
    #[serde(default)]
    auth: Option<WebhookAuth>,
    #[serde(default)]
    timeout: Option<GoDuration>,
}

impl<'de> Deserialize<'de> for WebhookConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match WebhookRepr::deserialize(deserializer)? {
            WebhookRepr::Url(url) => Self {
                url,
                auth: None,
                timeout: None,
            },
            WebhookRepr::Object(object) => Self {
                url: object.url,
                auth: object.auth,
                timeout: object.timeout,
            },
        })
    }
}

impl WebhookConfig {
    /// The time one call may take.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
            .map(GoDuration::as_std)
            .unwrap_or(std::time::Duration::from_secs(DEFAULT_HOOK_TIMEOUT_SECS))
    }

    /// Startup checks: an absolute http(s) URL, a usable header or cookie, a bounded
    /// timeout. Each error names `key`.
    pub fn validate(&self, key: &str, errors: &mut Vec<ConfigError>) {
        let invalid = |sub: &str, message: String| ConfigError::Invalid {
            key: format!("{key}{sub}"),
            message,
        };
        match url::Url::parse(&self.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
            Ok(_) => errors.push(invalid(
                ".url",
                format!("{:?} must be an http or https URL with a host", self.url),
            )),
            Err(e) => errors.push(invalid(
                ".url",
                format!("{:?} is not an absolute URL: {e}", self.url),
            )),
        }
        if let Some(auth) = &self.auth {
            let config = &auth.config;
            let name_ok = !config.name.is_empty()
                && match config.location {
                    ApiKeyLocation::Header => {
                        reqwest::header::HeaderName::from_bytes(config.name.as_bytes()).is_ok()
                    }
                    // RFC 6265 §4.1.1: a cookie name is an RFC 7230 token.
                    ApiKeyLocation::Cookie => config.name.bytes().all(is_token_char),
                };
            if !name_ok {
                errors.push(invalid(
                    ".auth.config.name",
                    format!("{:?} is not a valid header or cookie name", config.name),
                ));
            }
            let value_ok = !config.value.is_empty() && match config.location {
                ApiKeyLocation::Header => {
                    reqwest::header::HeaderValue::from_str(&config.value).is_ok()
                }
                // RFC 6265 §4.1.1 cookie-octets: no controls, space, `"`, `,`, `;`, `\`.
                ApiKeyLocation::Cookie => config.value.bytes().all(
                    |b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E),
                ),
            };
            if !value_ok {
                errors.push(invalid(
                    ".auth.config.value",
                    "must be a non-empty value usable in a header or cookie".into(),
                ));
            }
        }
        if let Some(timeout) = self.timeout {
            let timeout = timeout.as_std();
            if timeout.is_zero() || timeout.as_secs() > MAX_HOOK_TIMEOUT_SECS {
                errors.push(invalid(
                    ".timeout",
                    format!("must be more than 0s and at most {MAX_HOOK_TIMEOUT_SECS}s"),
                ));
            }
        }
    }
}

/// RFC 7230 §3.2.6 `tchar`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> WebhookConfig {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn errors(config: &WebhookConfig) -> Vec<String> {
        let mut errors = Vec::new();
        config.validate("oauth2.token_hook", &mut errors);
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_string_is_the_url() {
        let hook = parse("https://hooks.example/token");
        assert_eq!(hook.url, "https://hooks.example/token");
        assert_eq!(hook.auth, None);
        assert_eq!(hook.timeout(), std::time::Duration::from_secs(5));
        assert!(errors(&hook).is_empty());
    }

    #[test]
    fn the_object_form_carries_an_api_key_and_a_timeout() {
        let hook = parse(
            "url: http://127.0.0.1:9000/hook\nauth:\n  type: api_key\n  config:\n    in: cookie\n    name: hook_key\n    value: s3cret\ntimeout: 800ms\n",
        );
        let auth = hook.auth.clone().unwrap();
        assert_eq!(auth.config.location, ApiKeyLocation::Cookie);
        assert_eq!(auth.config.name, "hook_key");
        assert_eq!(hook.timeout(), std::time::Duration::from_millis(800));
        assert!(errors(&hook).is_empty());
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    #[test]
    fn unknown_keys_and_auth_types_are_refused() {
        assert!(serde_yaml::from_str::<WebhookConfig>("url: https://a.example\nurl2: x").is_err());
        assert!(
            serde_yaml::from_str::<WebhookConfig>(
                "url: https://a.example\nauth:\n  type: basic\n  config:\n    name: a\n    value: b\n"
            )
            .is_err()
        );
    }

    #[test]
    fn bad_urls_names_values_and_timeouts_are_reported_by_key() {
        let mut hook = parse("ftp://hooks.example/token");
        assert!(errors(&hook)[0].contains("oauth2.token_hook.url"));
        hook.url = "/relative".into();
        assert!(errors(&hook)[0].contains("oauth2.token_hook.url"));
        let hook = parse(
            "url: https://a.example\nauth:\n  type: api_key\n  config:\n    name: \"bad header\"\n    value: \"line\\nbreak\"\ntimeout: 1m\n",
        );
        let found = errors(&hook);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains(".auth.config.name"));
        assert!(found[1].contains(".auth.config.value"));
        assert!(found[2].contains(".timeout"));
    }
}
