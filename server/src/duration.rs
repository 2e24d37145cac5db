//! Go-style durations (`1h`, `30m`, `1h30m`, `1.5s`, `250ms`), the format Hydra uses for
//! every `ttl.*` key and every client `*_lifespan` field (`NullDuration` in its API).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration that reads and writes Go's `time.Duration` string format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(pub Duration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {input:?}: expected a sequence of numbers with units ns, us, µs, ms, s, m, h (e.g. \"1h30m\")"
)]
pub struct DurationParseError {
    input: String,
}

impl GoDuration {
    pub fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    pub fn as_std(self) -> Duration {
        self.0
    }

    pub fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }

    /// Parses the grammar of Hydra's `NullDuration`:
    /// `^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$`.
    pub fn parse(input: &str) -> Result<Self, DurationParseError> {
        let err = || DurationParseError {
            input: input.to_owned(),
        };
        // Go accepts a bare "0" as zero.
        if input == "0" {
            return Ok(Self(Duration::ZERO));
        }
        let mut rest = input;
        let mut total_nanos: u128 = 0;
        if rest.is_empty() {
            return Err(err());
        }
        while !rest.is_empty() {
            let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            if int_len == 0 {
                return Err(err());
            }
            let (int_part, after) = rest.split_at(int_len);
            let (frac_part, after) = match after.strip_prefix('.') {
                Some(f) => {
                    let n = f.bytes().take_while(u8::is_ascii_digit).count();
                    if n == 0 {
                        return Err(err());
                    }
                    f.split_at(n)
                }
                None => ("", after),
            };
            let unit_len = after
                .char_indices()
                .find(|(_, c)| c.is_ascii_digit() || *c == '.')
                .map_or(after.len(), |(i, _)| i);
            let (unit, after) = after.split_at(unit_len);
            let unit_nanos: u128 = match unit {
                "ns" => 1,
                "us" | "µs" | "μs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                _ => return Err(err()),
            };
            let int: u128 = int_part.parse().map_err(|_| err())?;
            let mut nanos = int.checked_mul(unit_nanos).ok_or_else(err)?;
            if !frac_part.is_empty() {
                let digits = frac_part.len().min(18);
                let frac: u128 = frac_part[..digits].parse().map_err(|_| err())?;
                nanos += frac * unit_nanos / 10u128.pow(u32::try_from(digits).map_err(|_| err())?);
            }
            total_nanos = total_nanos.checked_add(nanos).ok_or_else(err)?;
            rest = after;
        }
        let secs = u64::try_from(total_nanos / 1_000_000_000).map_err(|_| err())?;
        let sub = u32::try_from(total_nanos % 1_000_000_000).map_err(|_| err())?;
        Ok(Self(Duration::new(secs, sub)))
    }
}

/// Formats like Go's `Duration.String()`: `1h0m0s`, `1m30s`, `1.5s`, `250ms`, `0s`.
impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0.as_nanos();
        if total == 0 {
            return f.write_str("0s");
        }
        if total < 1_000_000_000 {
            let (value, unit) = if total < 1_000 {
                return write!(f, "{total}ns");
            } else if total < 1_000_000 {
                (total as f64 / 1e3, "µs")
            } else {
                (total as f64 / 1e6, "ms")
            };
            return write!(f, "{value}{unit}");
        }
        let hours = total / 3_600_000_000_000;
        let minutes = (total / 60_000_000_000) % 60;
        let secs_nanos = total % 60_000_000_000;
        let secs = secs_nanos / 1_000_000_000;
        let frac = secs_nanos % 1_000_000_000;
        if hours > 0 {
            write!(f, "{hours}h{minutes}m")?;
        } else if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        if frac == 0 {
            write!(f, "{secs}s")
        } else {
            let frac_str = format!("{frac:09}");
            write!(f, "{secs}.{}s", frac_str.trim_end_matches('0'))
        }
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        GoDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("1h", 3600.0),
            ("30m", 1800.0),
            ("1h30m", 5400.0),
            ("1.5s", 1.5),
            ("250ms", 0.25),
            ("720h", 2_592_000.0),
            ("0s", 0.0),
            ("0", 0.0),
            ("1h0m0s", 3600.0),
        ];
        for (input, secs) in cases {
            let parsed = GoDuration::parse(input).map(|d| d.0.as_secs_f64());
            assert_eq!(parsed, Ok(secs), "{input}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for input in ["", "h", "1", "1x", "1.h", "-1h", "1h 30m", "1d"] {
            assert!(GoDuration::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn formats_like_go() {
        let cases = [
            ("1h", "1h0m0s"),
            ("90s", "1m30s"),
            ("1.5s", "1.5s"),
            ("250ms", "250ms"),
            ("0s", "0s"),
            ("720h", "720h0m0s"),
        ];
        for (input, out) in cases {
            let parsed = GoDuration::parse(input).map(|d| d.to_string());
            assert_eq!(parsed.as_deref(), Ok(out), "{input}");
        }
    }
}
