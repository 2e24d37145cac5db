//! `remember_for`, the seconds a login or consent app asks to remember a login (the
//! session cookie) or a consent: bounded where the app gives it, and turned into an
//! expiry with checked arithmetic where the verifier is redeemed.
//!
//! The bound is what Hydra can represent: it multiplies `remember_for` into a Go
//! `time.Duration` (`i64` nanoseconds, about 292 years). Anything an app sends that
//! Hydra would accept is accepted; anything longer is a 400 naming the field, before a
//! verifier exists, so no flow is lost to it. The bound keeps every expiry made from it
//! inside chrono's range and every backend's timestamp range (MySQL ends in 9999).

use chrono::{DateTime, TimeDelta, Utc};

use crate::duration::GoDuration;
use crate::error::OAuth2Error;

/// The largest `remember_for`, in seconds: [`GoDuration::MAX`] in whole seconds.
pub const MAX_REMEMBER_FOR: i64 = 9_223_372_036;

/// The app's `remember_for` (absent: 0), checked against `0..=MAX_REMEMBER_FOR`.
pub fn checked(value: Option<i64>) -> Result<i64, OAuth2Error> {
    let seconds = value.unwrap_or(0);
    if !(0..=MAX_REMEMBER_FOR).contains(&seconds) {
        return Err(OAuth2Error::invalid_request(format!(
            "Field 'remember_for' must be a number of seconds from 0 to {MAX_REMEMBER_FOR} (about 292 years, the longest Go time.Duration), not {seconds}."
        )));
    }
    Ok(seconds)
}

/// `remember_for` seconds as a duration; an out-of-range value (only a verifier sealed
/// before the bound existed can carry one) is `invalid_request`, never a panic.
pub fn lifespan(seconds: i64) -> Result<TimeDelta, OAuth2Error> {
    let seconds = checked(Some(seconds))?;
    TimeDelta::try_seconds(seconds).ok_or_else(out_of_range)
}

/// `from + lifespan`, checked.
pub fn until(from: DateTime<Utc>, lifespan: TimeDelta) -> Result<DateTime<Utc>, OAuth2Error> {
    from.checked_add_signed(lifespan).ok_or_else(out_of_range)
}

fn out_of_range() -> OAuth2Error {
    OAuth2Error::invalid_request("Field 'remember_for' is out of range.")
}

// The bound is GoDuration::MAX in whole seconds (checked at compile time).
const _: () = assert!(MAX_REMEMBER_FOR as u64 == GoDuration::MAX.0.as_secs());

#[cfg(test)]
mod tests {
    use super::*;

    /// Every extreme an app could send: refused with a 4xx naming the field, or a
    /// lifespan whose expiry is representable from now. Never a panic.
    #[test]
    fn extreme_values_are_refused_or_representable() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let extremes = [
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            1,
            86_400,
            i64::from(i32::MAX),
            i64::from(u32::MAX),
            MAX_REMEMBER_FOR,
            MAX_REMEMBER_FOR + 1,
            10_000_000_000_000,
            i64::MAX / 1000,
            i64::MAX / 1000 + 1,
            i64::MAX - 1,
            i64::MAX,
        ];
        for value in extremes {
            match checked(Some(value)) {
                Ok(seconds) => {
                    assert!((0..=MAX_REMEMBER_FOR).contains(&seconds), "{value}");
                    let lifespan = lifespan(seconds).unwrap();
                    assert!(until(now, lifespan).is_ok(), "{value}");
                }
                Err(err) => {
                    assert_eq!(err.status(), 400, "{value}");
                    assert!(err.description().contains("remember_for"), "{value}");
                    assert!(lifespan(value).is_err(), "{value}");
                }
            }
        }
        assert_eq!(checked(None).unwrap(), 0);
        assert!(until(DateTime::<Utc>::MAX_UTC, TimeDelta::seconds(1)).is_err());
    }
}
