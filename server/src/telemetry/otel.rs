//! The span exporter: OTLP over HTTP with protobuf to `tracing.providers.otlp`, behind
//! the SDK's batch processor. The processor runs on a thread of its own and keeps at most
//! 2048 spans, dropping the rest, so a slow or absent collector never holds up or fails
//! a request; a failing collector is logged once, and once more when it answers again.
//! Sampling is Hydra's: the parent's decision when a request continues a trace, else
//! `sampling_ratio` of new traces.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanData, SpanExporter};

use crate::config::TracingConfig;

/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for the last export.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
#[error("cannot set up the span exporter for {endpoint}: {message}")]
pub struct TelemetryError {
    endpoint: String,
    message: String,
}

pub(super) fn provider(config: &TracingConfig) -> Result<SdkTracerProvider, TelemetryError> {
    let endpoint = config.otlp_traces_endpoint();
    let otlp = &config.providers.otlp;
    let mut headers = HashMap::new();
    if let Some(value) = &otlp.authorization_header {
        headers.insert("Authorization".to_owned(), value.clone());
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint.clone())
        .with_timeout(EXPORT_TIMEOUT)
        .with_headers(headers)
        .build()
        .map_err(|e| TelemetryError {
            endpoint: endpoint.clone(),
            message: e.to_string(),
        })?;
    let mut resource = Resource::builder()
        .with_service_name(config.service_name.clone())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if !config.deployment_environment.is_empty() {
        resource = resource.with_attribute(KeyValue::new(
            "deployment.environment.name",
            config.deployment_environment.clone(),
        ));
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(LoggedExporter {
            inner: exporter,
            endpoint,
            failing: AtomicBool::new(false),
        })
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            otlp.sampling.sampling_ratio,
        ))))
        .with_resource(resource.build())
        .build())
}

pub(super) fn shutdown(provider: &SdkTracerProvider) {
    if let Err(err) = provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
        tracing::warn!(error = %err, "tracing: the last spans could not be exported");
    }
}

/// The OTLP exporter, logging the first failure of an outage and the recovery: the
/// batch processor retries every few seconds, which would otherwise log each time.
#[derive(Debug)]
struct LoggedExporter<E> {
    inner: E,
    endpoint: String,
    failing: AtomicBool,
}

impl<E: SpanExporter> SpanExporter for LoggedExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let count = batch.len();
        let result = self.inner.export(batch).await;
        match &result {
            Err(err) if !self.failing.swap(true, Ordering::Relaxed) => {
                tracing::warn!(
                    endpoint = %self.endpoint,
                    error = %err,
                    dropped_spans = count,
                    "tracing: the collector does not take spans; dropping them until it \
                     does (logged once)"
                );
            }
            Ok(()) if self.failing.swap(false, Ordering::Relaxed) => {
                tracing::info!(endpoint = %self.endpoint, "tracing: the collector takes spans again");
            }
            _ => {}
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
