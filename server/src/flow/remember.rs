//! `remember_for`, the seconds a login or consent app asks to remember a login (the
//! session cookie) or a consent: bounded where the app gives it, and turned into an
//! expiry with checked arithmetic where the verifier is redeemed.
//!
//! The bound is ten years (3650 days). A value beyond it is a 400 naming the field,
//! given to the app at the accept call, before a verifier exists, so no flow is lost to
//! it. Why ten years: a remembered login lives in a cookie, and browsers keep cookies at
//! most 400 days whatever `Max-Age` says (RFC 6265bis §5.5), so a longer session cannot
//! be remembered anyway; a remembered consent that outlasts a decade is a grant nobody
//! reviews (0 remembers a consent for ever, as in Hydra, for those who mean it). And
//! every expiry made from it stays inside every backend's timestamp range: chrono's and
//! PostgreSQL's are vast, but timestamps bound on MySQL/MariaDB currently end at
//! 2038-01-19 (see docs/login-consent.md). Hydra takes any `int64` and overflows Go's
//! `time.Duration` past 292 years.

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::OAuth2Error;

/// The largest `remember_for`, in seconds: ten years of 365 days.
pub const MAX_REMEMBER_FOR: i64 = 3650 * 86_400;

/// The app's `remember_for` (absent: 0), checked against `0..=MAX_REMEMBER_FOR`.
pub fn checked(value: Option<i64>) -> Result<i64, OAuth2Error> {
    let seconds = value.unwrap_or(0);
    if !(0..=MAX_REMEMBER_FOR).contains(&seconds) {
        return Err(OAuth2Error::invalid_request(format!(
            "Field 'remember_for' must be a number of seconds from 0 to {MAX_REMEMBER_FOR} (ten years), not {seconds}."
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
