//! Logging from `log.level` and `log.format` (`RUST_LOG` overrides the level for
//! debugging individual crates), and OpenTelemetry traces from `tracing` (`otel.rs`).
//!
//! Two kinds of spans share one `tracing` subscriber. The log's (`request`, with the
//! request id) go to the log only; the trace's, with target [`TARGET`] (the request's
//! server span, the grant, storage calls, outbound calls), go to the OpenTelemetry layer
//! only. So log lines look the same with tracing on or off, and with tracing off the
//! trace's spans are disabled at their call sites: they cost one cached check.

use std::sync::atomic::{AtomicBool, Ordering};

mod otel;
pub mod propagation;
pub mod spans;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogConfig, LogFormat, LogLevel, TracingConfig};

pub use otel::TelemetryError;

/// The target of the trace's spans (never logged).
pub const TARGET: &str = "portunus_otel";

/// Set once the span exporter is installed.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported (this process installed the OpenTelemetry layer).
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

fn level_directive(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Panic | LogLevel::Fatal | LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::Trace => "trace",
    }
}

/// What [`init`] set up; [`Telemetry::shutdown`] flushes the spans not yet exported.
#[derive(Debug, Default)]
#[must_use = "shut it down at exit, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn tracing(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports the spans still queued (waiting up to a few seconds for the collector)
    /// and stops the exporter. Blocks: call it off the async workers.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            otel::shutdown(&provider);
        }
    }
}

/// Installs the global subscriber (a second call installs nothing) and, with
/// `tracing.provider: otel`, the span exporter.
pub fn init(log: &LogConfig, tracing: &TracingConfig) -> Result<Telemetry, TelemetryError> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(level_directive(log.level)));
    let filter = match format!("{TARGET}=off").parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_span_events(FmtSpan::NONE)
        // Colour only for people: files, pipes and `docker logs` get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let fmt = match log.format {
        LogFormat::Text => fmt.with_filter(filter).boxed(),
        // One JSON object per line for both: line-oriented collectors need that, so
        // Hydra's `json_pretty` is accepted and logs compact JSON.
        LogFormat::Json | LogFormat::JsonPretty => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(filter)
            .boxed(),
    };
    let provider = tracing
        .enabled()
        .then(|| otel::provider(tracing))
        .transpose()?;
    let otel_layer = provider.as_ref().map(|provider| {
        use opentelemetry::trace::TracerProvider as _;
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("portunus"))
            .with_location(false)
            .with_target(false)
            .with_threads(false)
            .with_level(false)
            .with_tracked_inactivity(false)
            // The trace's own spans, and warnings and errors as span events.
            .with_filter(filter_fn(|meta| {
                meta.target() == TARGET
                    || (meta.is_event() && *meta.level() <= tracing::Level::WARN)
            }))
    });
    let installed = tracing_subscriber::registry()
        .with(fmt)
        .with(otel_layer)
        .try_init()
        .is_ok();
    if !installed {
        // Someone else's subscriber (a test's): spans would not reach the exporter.
        if let Some(provider) = &provider {
            otel::shutdown(provider);
        }
        return Ok(Telemetry::default());
    }
    if provider.is_some() {
        EXPORTING.store(true, Ordering::Relaxed);
        tracing::info!(
            endpoint = %tracing.otlp_traces_endpoint(),
            service_name = %tracing.service_name,
            sampling_ratio = tracing.providers.otlp.sampling.sampling_ratio,
            "tracing: exporting spans over OTLP/HTTP"
        );
    }
    Ok(Telemetry { provider })
}
