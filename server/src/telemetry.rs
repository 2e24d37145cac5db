//! Logging setup from `log.level` and `log.format`. `RUST_LOG` overrides the level for
//! debugging individual crates.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogConfig, LogFormat, LogLevel};

fn level_directive(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Panic | LogLevel::Fatal | LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::Trace => "trace",
    }
}

/// Installs the global subscriber; a second call is a no-op.
pub fn init(log: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(level_directive(log.level)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        // Colour only for people: files, pipes and `docker logs` get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Text => builder.try_init(),
        // One JSON object per line for both: line-oriented collectors need that, so
        // Hydra's `json_pretty` is accepted and logs compact JSON.
        LogFormat::Json | LogFormat::JsonPretty => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
