//! Go-style durations (`1h`, `30m`, `1h30m`, `1.5s`, `250ms`), the format Hydra uses for
//! every `ttl.*` key and every client `*_lifespan` field (`NullDuration` in its API).
//!
//! Bounded by what Go's `time.Duration` holds (`i64` nanoseconds, about 292 years): a
//! longer value is refused when parsed (a configuration error, or a 400 naming the
//! client field), as Hydra cannot represent it either. The bound keeps every expiry
//! computed from a duration (`issued_at + lifespan`) far inside chrono's range and inside
//! every backend's timestamp range (MySQL `DATETIME` ends in 9999).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration that reads and writes Go's `time.Duration` string format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(pub Duration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {input:?}: expected a sequence of numbers with units ns, us, µs, ms, s, m, h (e.g. \"1h30m\"), at most {max} (Go's time.Duration)"
)]
pub struct DurationParseError {
    input: String,
    max: GoDuration,
}

/// Go's `math.MaxInt64` nanoseconds: `2562047h47m16.854775807s`.
const MAX_NANOS: u128 = i64::MAX as u128;

impl GoDuration {
    /// The longest duration accepted anywhere: Go's `time.Duration` maximum (~292 years).
    pub const MAX: GoDuration = GoDuration(Duration::new(9_223_372_036, 854_775_807));

    /// `secs` seconds, at most [`GoDuration::MAX`].
    pub fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs)).min(Self::MAX)
    }

    pub fn as_std(self) -> Duration {
        self.0
    }

    /// As a chrono duration; values beyond [`GoDuration::MAX`] (only a hand-built
    /// `GoDuration(…)` can hold one) count as `MAX`.
    pub fn as_chrono(self) -> chrono::Duration {
        let bounded = self.min(Self::MAX).0;
        chrono::Duration::from_std(bounded).unwrap_or(chrono::Duration::MAX)
    }

    /// Whole seconds as `i64` (e.g. a cookie's `Max-Age`); saturating.
    pub fn as_secs_i64(self) -> i64 {
        i64::try_from(self.0.as_secs()).unwrap_or(i64::MAX)
    }

    /// Parses the grammar of Hydra's `NullDuration`,
    /// `^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$`, up to [`GoDuration::MAX`].
    pub fn parse(input: &str) -> Result<Self, DurationParseError> {
        let nanos = parse_nanos(input)?;
        if nanos > MAX_NANOS {
            return Err(parse_error(input));
        }
        Ok(from_nanos(nanos))
    }

    /// Like [`GoDuration::parse`], but a value beyond [`GoDuration::MAX`] becomes `MAX`:
    /// for durations stored before the bound existed, which must still load.
    pub fn parse_saturating(input: &str) -> Result<Self, DurationParseError> {
        Ok(from_nanos(parse_nanos(input)?.min(MAX_NANOS)))
    }
}

/// `at + by`, or the far future when that is beyond chrono's range: for expiries
/// computed from bounded configuration, where "never" is the right reading of an
/// overflow. Times derived from request or app input are checked where they are made.
pub fn later(at: DateTime<Utc>, by: chrono::Duration) -> DateTime<Utc> {
    at.checked_add_signed(by)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn parse_error(input: &str) -> DurationParseError {
    DurationParseError {
        input: input.to_owned(),
        max: GoDuration::MAX,
    }
}

fn from_nanos(nanos: u128) -> GoDuration {
    // Both parts fit: callers pass at most MAX_NANOS.
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    GoDuration(Duration::new(secs, sub))
}

/// The grammar's value in nanoseconds; every step checked, so no input can overflow.
fn parse_nanos(input: &str) -> Result<u128, DurationParseError> {
    let err = || parse_error(input);
    // Go accepts a bare "0" as zero.
    if input == "0" {
        return Ok(0);
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
            let frac: u128 = frac_part
                .get(..digits)
                .ok_or_else(err)?
                .parse()
                .map_err(|_| err())?;
            let scale = 10u128.pow(u32::try_from(digits).map_err(|_| err())?);
            // frac < 10^18 and unit_nanos <= 3.6e12: the product fits in u128.
            let part = frac.checked_mul(unit_nanos).ok_or_else(err)? / scale;
            nanos = nanos.checked_add(part).ok_or_else(err)?;
        }
        total_nanos = total_nanos.checked_add(nanos).ok_or_else(err)?;
        rest = after;
    }
    Ok(total_nanos)
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

/// For `#[serde(deserialize_with)]` on stored optional durations (client lifespans kept
/// in the database): [`GoDuration::parse_saturating`], so a value stored before the
/// bound existed still loads, as `MAX`.
pub fn deserialize_stored<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<GoDuration>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| GoDuration::parse_saturating(&text).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extreme inputs for every parser of durations: never a panic, never a value above
    /// `MAX`, and the boundary itself exact.
    #[test]
    fn extreme_inputs_are_refused_or_bounded() {
        let huge = [
            "2562047h47m16.854775808s",
            "2562048h",
            "9223372036854775808ns",
            "18446744073709551615s",
            "340282366920938463463374607431768211455ns",
            "340282366920938463463374607431768211456ns",
            "94522879700260684295381835.9h",
            "94522879700260684295381835h1h",
            "1e13s",
            "NaNs",
            "infh",
            "-9223372036854775808ns",
            "99999999999999999999999999999999999999999999h",
        ];
        for input in huge {
            assert!(GoDuration::parse(input).is_err(), "{input}");
            if let Ok(saturated) = GoDuration::parse_saturating(input) {
                assert!(saturated <= GoDuration::MAX, "{input}");
            }
        }
        assert_eq!(
            GoDuration::parse("2562047h47m16.854775807s"),
            Ok(GoDuration::MAX)
        );
        assert_eq!(
            GoDuration::parse_saturating("3000000h"),
            Ok(GoDuration::MAX)
        );
        assert_eq!(GoDuration::from_secs(u64::MAX), GoDuration::MAX);
        assert_eq!(
            GoDuration(Duration::MAX).as_chrono(),
            GoDuration::MAX.as_chrono()
        );
        assert_eq!(GoDuration(Duration::MAX).as_secs_i64(), i64::MAX);
        assert_eq!(GoDuration::MAX.to_string(), "2562047h47m16.854775807s");
        // The bound keeps expiries representable from any time chrono can hold but the
        // last ~292 years of its range, and `later` saturates there.
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(
            now.checked_add_signed(GoDuration::MAX.as_chrono())
                .is_some()
        );
        assert_eq!(
            later(DateTime::<Utc>::MAX_UTC, GoDuration::MAX.as_chrono()),
            DateTime::<Utc>::MAX_UTC
        );
    }

    /// Lifespans stored before the bound load as `MAX`; configuration stays strict.
    #[test]
    fn stored_values_saturate_but_configuration_is_strict() {
        #[derive(Deserialize)]
        struct Stored {
            #[serde(default, deserialize_with = "deserialize_stored")]
            lifespan: Option<GoDuration>,
        }
        let stored: Stored = serde_json::from_str(r#"{"lifespan":"3000000h"}"#).unwrap();
        assert_eq!(stored.lifespan, Some(GoDuration::MAX));
        let stored: Stored = serde_json::from_str(r#"{"lifespan":null}"#).unwrap();
        assert_eq!(stored.lifespan, None);
        let strict = serde_json::from_str::<GoDuration>(r#""3000000h""#);
        assert!(strict.is_err());
    }

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
