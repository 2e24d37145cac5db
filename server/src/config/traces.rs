//! `tracing` (issue 14 §2): OpenTelemetry traces, with the keys of Hydra's tracing
//! configuration (ory/x `otelx`). Only the `otel` provider is served (OTLP over HTTP with
//! protobuf); an empty provider, the default, turns tracing off. Hydra's `jaeger` and
//! `zipkin` providers are refused with a pointer to OTLP, which both ingest
//! (docs/operations.md, "Tracing").

use serde::{Deserialize, Serialize};

/// `tracing`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TracingConfig {
    /// `otel` exports spans over OTLP/HTTP; empty (the default) turns tracing off.
    pub provider: String,
    /// The `service.name` resource attribute of every span.
    pub service_name: String,
    /// The `deployment.environment.name` resource attribute, when set.
    pub deployment_environment: String,
    pub providers: TracingProviders,
}

impl Default for TracingConfig {
    fn default() -> Self {
        Self {
            provider: String::new(),
            service_name: "Portunus".to_owned(),
            deployment_environment: String::new(),
            providers: TracingProviders::default(),
        }
    }
}

/// `tracing.providers`. Hydra's `jaeger` and `zipkin` sections are accepted so that a
/// Hydra file loads, and ignored: only `otlp` is read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TracingProviders {
    pub otlp: OtlpConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaeger: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zipkin: Option<serde_json::Value>,
}

/// `tracing.providers.otlp`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpConfig {
    /// The collector's OTLP/HTTP address as `host:port` (e.g. `localhost:4318`); spans
    /// go to `/v1/traces` there.
    pub server_url: String,
    /// Plain HTTP when true; HTTPS (the default) otherwise.
    pub insecure: bool,
    pub sampling: OtlpSampling,
    /// Sent as the `Authorization` header of every export, when set.
    pub authorization_header: Option<String>,
}

/// `tracing.providers.otlp.sampling`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpSampling {
    /// The share of new traces recorded, 0 to 1 (1, every trace, by default). A request
    /// that continues a caller's trace follows the caller's decision instead.
    pub sampling_ratio: f64,
}

impl Default for OtlpSampling {
    fn default() -> Self {
        Self {
            sampling_ratio: 1.0,
        }
    }
}

/// The providers Hydra knows that are not served here.
const OTHER_HYDRA_PROVIDERS: &[&str] = &["jaeger", "zipkin"];

impl TracingConfig {
    /// Whether spans are exported.
    pub fn enabled(&self) -> bool {
        self.provider == "otel"
    }

    /// Where spans go: `http(s)://server_url/v1/traces`.
    pub fn otlp_traces_endpoint(&self) -> String {
        let otlp = &self.providers.otlp;
        let scheme = if otlp.insecure { "http" } else { "https" };
        format!("{scheme}://{}/v1/traces", otlp.server_url)
    }

    /// The problems of this configuration, as (key suffix, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        match self.provider.as_str() {
            "" | "otel" => {}
            other if OTHER_HYDRA_PROVIDERS.contains(&other) => problems.push((
                "provider".into(),
                format!(
                    "{other:?} is not supported: only \"otel\" (OTLP over HTTP) is; Jaeger \
                     and Zipkin both accept OTLP, so point \
                     tracing.providers.otlp.server_url at their OTLP/HTTP port (4318)"
                ),
            )),
            other => problems.push((
                "provider".into(),
                format!(
                    "{other:?} is not a tracing provider: use \"otel\", or leave it empty for none"
                ),
            )),
        }
        let ratio = self.providers.otlp.sampling.sampling_ratio;
        if !(0.0..=1.0).contains(&ratio) {
            problems.push((
                "providers.otlp.sampling.sampling_ratio".into(),
                format!("{ratio} is out of range: a share of traces between 0 and 1"),
            ));
        }
        if self.service_name.trim().is_empty() {
            problems.push(("service_name".into(), "must not be empty".into()));
        }
        if self.enabled()
            && let Err(message) = check_host_port(&self.providers.otlp.server_url)
        {
            problems.push(("providers.otlp.server_url".into(), message));
        }
        if let Some(header) = &self.providers.otlp.authorization_header
            && reqwest::header::HeaderValue::from_str(header).is_err()
        {
            problems.push((
                "providers.otlp.authorization_header".into(),
                "is not a valid HTTP header value".into(),
            ));
        }
        problems
    }
}

/// `host:port`, as Hydra takes it: no scheme, no path (the scheme comes from
/// `insecure`, the path is `/v1/traces`).
fn check_host_port(value: &str) -> Result<(), String> {
    let hint = "give the collector's OTLP/HTTP address as host:port (e.g. localhost:4318); \
                tracing.providers.otlp.insecure chooses http over https";
    if value.is_empty() {
        return Err(format!("is required with tracing.provider otel: {hint}"));
    }
    if value.contains("://") || value.contains('/') {
        return Err(format!("{value:?} is not host:port: {hint}"));
    }
    let has_port = value
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok_and(|port| port != 0));
    let parsed = url::Url::parse(&format!("http://{value}")).ok();
    if !has_port
        || parsed.is_none_or(|url| {
            url.host_str().is_none_or(str::is_empty)
                || !url.username().is_empty()
                || url.query().is_some()
                || url.fragment().is_some()
        })
    {
        return Err(format!("{value:?} is not host:port: {hint}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn otel(server_url: &str, ratio: f64) -> TracingConfig {
        let mut config = TracingConfig {
            provider: "otel".into(),
            ..TracingConfig::default()
        };
        config.providers.otlp.server_url = server_url.into();
        config.providers.otlp.sampling.sampling_ratio = ratio;
        config
    }

    #[test]
    fn off_by_default_and_valid() {
        let config = TracingConfig::default();
        assert!(!config.enabled());
        assert!(config.problems().is_empty());
        assert_eq!(config.service_name, "Portunus");
    }

    #[test]
    fn otel_needs_host_and_port() {
        assert!(otel("localhost:4318", 0.5).problems().is_empty());
        assert!(otel("[::1]:4318", 1.0).problems().is_empty());
        for bad in [
            "",
            "localhost",
            "http://localhost:4318",
            "localhost:4318/v1/traces",
        ] {
            let problems = otel(bad, 1.0).problems();
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert_eq!(problems[0].0, "providers.otlp.server_url");
            assert!(problems[0].1.contains("host:port"), "{problems:?}");
        }
    }

    #[test]
    fn sampling_ratio_is_a_share() {
        for bad in [1.5, -0.1, f64::NAN] {
            let problems = otel("localhost:4318", bad).problems();
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].0, "providers.otlp.sampling.sampling_ratio");
        }
        assert!(otel("localhost:4318", 0.0).problems().is_empty());
    }

    #[test]
    fn other_hydra_providers_point_at_otlp() {
        let config = TracingConfig {
            provider: "jaeger".into(),
            ..TracingConfig::default()
        };
        let problems = config.problems();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.contains("only \"otel\""), "{problems:?}");
        let config = TracingConfig {
            provider: "datadog".into(),
            ..TracingConfig::default()
        };
        assert!(config.problems()[0].1.contains("not a tracing provider"));
    }

    #[test]
    fn endpoint_scheme_follows_insecure() {
        let mut config = otel("collector:4318", 1.0);
        assert_eq!(
            config.otlp_traces_endpoint(),
            "https://collector:4318/v1/traces"
        );
        config.providers.otlp.insecure = true;
        assert_eq!(
            config.otlp_traces_endpoint(),
            "http://collector:4318/v1/traces"
        );
    }
}
