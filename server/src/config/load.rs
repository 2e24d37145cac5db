//! Layering: built-in defaults ← YAML file ← environment. Environment names are the key
//! path upper-cased with `.` → `_` (`serve.public.port` → `SERVE_PUBLIC_PORT`), as in
//! Hydra; lists come comma-separated (`SECRETS_SYSTEM=a,b`). Unknown file keys and bad
//! values fail with the key's path in the message.

use std::path::Path;

use serde_json::{Map, Value};

use super::Config;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid YAML: {source}")]
    Yaml {
        path: String,
        source: serde_yaml::Error,
    },
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: String, message: String },
    /// More than one problem: all of them, one a line.
    #[error("{} configuration errors:\n  {}", .0.len(), join_lines(.0))]
    Several(Vec<ConfigError>),
}

fn join_lines(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ")
}

impl ConfigError {
    /// `Ok` for none, the error itself for one, `Several` for more.
    pub fn from_all(mut errors: Vec<ConfigError>) -> Result<(), ConfigError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ConfigError::Several(errors)),
        }
    }
}

/// The environment variable that sets a key.
pub fn env_name(key: &str) -> String {
    key.replace('.', "_").to_ascii_uppercase()
}

/// Loads the configuration. `env` looks up an environment variable (a closure, so tests
/// need not touch the process environment). Validation of required keys happens in
/// `Config::validate`, after the caller has applied `--dev`.
pub fn load(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut merged = serde_json::to_value(Config::default()).map_err(|e| invalid("", e))?;
    let defaults = merged.clone();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let from_file: Value = serde_yaml::from_str::<Option<Value>>(&text)
            .map_err(|source| ConfigError::Yaml {
                path: path.display().to_string(),
                source,
            })?
            .unwrap_or(Value::Null);
        if !from_file.is_null() && !from_file.is_object() {
            return Err(invalid("", "the file must contain a mapping of keys"));
        }
        deep_merge(&mut merged, from_file);
    }
    let mut leaves = Vec::new();
    collect_leaves(&defaults, String::new(), &mut leaves);
    // Every bad variable is reported, not only the first (issue 21).
    let mut errors = Vec::new();
    for (key, default) in leaves {
        let alias = ENV_ALIASES
            .iter()
            .find(|(aliased, _)| *aliased == key)
            .and_then(|(_, name)| env(name));
        if let Some(raw) = env(&env_name(&key)).or(alias) {
            match env_value(&key, default, &raw) {
                Ok(value) => set_path(&mut merged, &key, value),
                Err(err) => errors.push(err),
            }
        }
    }
    ConfigError::from_all(errors)?;
    serde_path_to_error::deserialize::<_, Config>(merged).map_err(|err| {
        let key = err.path().to_string();
        ConfigError::Invalid {
            key: if key == "." { String::new() } else { key },
            message: err.into_inner().to_string(),
        }
    })
}

/// Environment names the seed used for keys that live elsewhere here; the key's own
/// name wins when both are set.
const ENV_ALIASES: &[(&str, &str)] = &[("events.enabled", "OAUTH2_EVENTS_ENABLED")];

fn invalid(key: &str, message: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_string(),
    }
}

fn deep_merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

fn collect_leaves<'a>(value: &'a Value, prefix: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                collect_leaves(child, path, out);
            }
        }
        leaf => out.push((prefix, leaf)),
    }
}

/// Reads an environment value with the type of the key's default.
fn env_value(key: &str, default: &Value, raw: &str) -> Result<Value, ConfigError> {
    let var = env_name(key);
    Ok(match default {
        Value::Bool(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Bool(true),
            "false" | "0" | "no" | "off" => Value::Bool(false),
            _ => return Err(invalid(key, format!("{var}={raw:?} is not a boolean"))),
        },
        // A fractional default (`tracing.providers.otlp.sampling.sampling_ratio`).
        Value::Number(number) if number.is_f64() => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| invalid(key, format!("{var}={raw:?} is not a number")))?,
        Value::Number(_) => raw
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| invalid(key, format!("{var}={raw:?} is not a whole number")))?,
        Value::Array(_) => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        ),
        _ => Value::String(raw.to_owned()),
    })
}

fn set_path(root: &mut Value, key: &str, value: Value) {
    let mut node = root;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), value);
            return;
        }
        node = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use super::*;
    use crate::config::LogFormat;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn yaml_file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn env_overrides_file_and_defaults() {
        let file = yaml_file(
            "dsn: sqlite://a.db\nserve:\n  public:\n    port: 9000\nlog:\n  format: json\n",
        );
        let env = env_of(&[
            ("SERVE_PUBLIC_PORT", "9100"),
            ("SECRETS_SYSTEM", "aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb"),
            ("URLS_SELF_ISSUER", "https://auth.example.com/"),
            ("TTL_ACCESS_TOKEN", "2h"),
            ("OAUTH2_EXPOSE_INTERNAL_ERRORS", "true"),
        ]);
        let config = load(Some(file.path()), &env).unwrap();
        assert_eq!(config.dsn.as_deref(), Some("sqlite://a.db"));
        assert_eq!(config.serve.public.port, 9100);
        assert_eq!(config.serve.admin.port, 4445);
        assert_eq!(config.secrets.system.len(), 2);
        assert_eq!(config.issuer(), "https://auth.example.com/");
        assert_eq!(config.ttl.access_token.as_std().as_secs(), 7200);
        assert!(config.oauth2.expose_internal_errors);
        assert_eq!(config.log.format, LogFormat::Json);
    }

    #[test]
    fn token_hooks_come_from_the_file_or_the_environment() {
        let file = yaml_file(
            "oauth2:\n  refresh_token_hook:\n    url: https://hooks.example/refresh\n    timeout: 2s\n",
        );
        let env = env_of(&[("OAUTH2_TOKEN_HOOK", "http://127.0.0.1:9000/hook")]);
        let config = load(Some(file.path()), &env).unwrap();
        let hook = config.oauth2.token_hook.unwrap();
        assert_eq!(hook.url, "http://127.0.0.1:9000/hook");
        let refresh = config.oauth2.refresh_token_hook.unwrap();
        assert_eq!(refresh.url, "https://hooks.example/refresh");
        assert_eq!(refresh.timeout().as_secs(), 2);
        assert!(
            load(None, &env_of(&[]))
                .unwrap()
                .oauth2
                .token_hook
                .is_none()
        );
    }

    #[test]
    fn unknown_file_key_is_named() {
        let file = yaml_file("serve:\n  public:\n    prot: 1\n");
        let err = load(Some(file.path()), &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("serve.public"), "{err}");
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn invalid_values_are_named() {
        let err = load(None, &env_of(&[("SERVE_ADMIN_PORT", "http")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("serve.admin.port"), "{err}");
        let file = yaml_file("ttl:\n  auth_code: ten minutes\n");
        let err = load(Some(file.path()), &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ttl.auth_code"), "{err}");
        let file = yaml_file("log:\n  level: loud\n");
        let err = load(Some(file.path()), &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("log.level"), "{err}");
    }

    #[test]
    fn tracing_keys_come_from_the_environment() {
        let env = env_of(&[
            ("TRACING_PROVIDER", "otel"),
            ("TRACING_SERVICE_NAME", "auth"),
            ("TRACING_PROVIDERS_OTLP_SERVER_URL", "collector:4318"),
            ("TRACING_PROVIDERS_OTLP_INSECURE", "true"),
            ("TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO", "0.25"),
        ]);
        let config = load(None, &env).unwrap();
        assert!(config.tracing.enabled());
        assert_eq!(config.tracing.service_name, "auth");
        assert_eq!(
            config.tracing.otlp_traces_endpoint(),
            "http://collector:4318/v1/traces"
        );
        assert!((config.tracing.providers.otlp.sampling.sampling_ratio - 0.25).abs() < 1e-9);
        let err = load(
            None,
            &env_of(&[("TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO", "half")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a number"), "{err}");
    }

    #[test]
    fn env_names_follow_hydra() {
        assert_eq!(env_name("serve.public.port"), "SERVE_PUBLIC_PORT");
        assert_eq!(env_name("urls.self.issuer"), "URLS_SELF_ISSUER");
        assert_eq!(env_name("dsn"), "DSN");
    }
}
