//! Bounds of every user field, checked before anything is hashed or stored. Every
//! failure is `invalid_request` naming the field (400, Hydra's error shape).

use crate::error::OAuth2Error;

/// Longest username, in characters (ASCII only, so also in bytes).
pub const MAX_USERNAME_LEN: usize = 128;
/// RFC 5321 §4.5.3.1.3: a path is at most 256 octets, the address in it at most 254.
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest display name, in characters (the column is `VARCHAR(255)`).
pub const MAX_NAME_LEN: usize = 255;
/// Shortest password, in characters (NIST SP 800-63B §3.1.1.2: at least 8).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password, in characters: long passphrases fit, while no request can make
/// the server hash megabytes.
pub const MAX_PASSWORD_LEN: usize = 1024;

fn invalid(field: &str, why: &str) -> OAuth2Error {
    OAuth2Error::invalid_request(format!("Field {field} is invalid: {why}."))
}

/// The username in its stored form (lower case), or why it is refused.
pub fn username(value: &str) -> Result<String, OAuth2Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+');
    let starts_well = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if value.is_empty()
        || value.len() > MAX_USERNAME_LEN
        || !starts_well
        || !value.chars().all(allowed)
    {
        return Err(invalid(
            "username",
            "it must have 1 to 128 characters: ASCII letters, digits and . _ - @ +, starting with a letter or digit",
        ));
    }
    Ok(value.to_ascii_lowercase())
}

/// An address of the form `local@domain`: no white space or control characters, one
/// `@` with text on both sides, at most [`MAX_EMAIL_LEN`] bytes. Deliverability is not
/// checked here; `email_verified` says whether it was.
pub fn email(value: &str) -> Result<(), OAuth2Error> {
    let well_formed = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    });
    if value.len() > MAX_EMAIL_LEN
        || !well_formed
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            "email",
            "it must be an address of the form local@domain, at most 254 characters, without spaces",
        ));
    }
    Ok(())
}

/// A display name: empty means none; otherwise at most [`MAX_NAME_LEN`] characters
/// without control characters.
pub fn name(value: Option<String>) -> Result<Option<String>, OAuth2Error> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_NAME_LEN || value.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "it must have at most 255 characters and no control characters",
        ));
    }
    Ok(Some(value))
}

/// A password of [`MIN_PASSWORD_LEN`] to [`MAX_PASSWORD_LEN`] characters. Any character
/// is allowed except NUL, which some clients truncate at.
pub fn password(field: &str, value: &str) -> Result<(), OAuth2Error> {
    let chars = value.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&chars) || value.contains('\0') {
        return Err(invalid(
            field,
            "a password must have 8 to 1024 characters and no NUL character",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_bounded_and_lower_cased() {
        assert_eq!(username("Alice.B-1@x+y_z").unwrap(), "alice.b-1@x+y_z");
        assert_eq!(username(&"a".repeat(128)).unwrap().len(), 128);
        for bad in [
            "",
            ".alice",
            "al ice",
            "älice",
            "a\u{0}",
            &"a".repeat(129),
            "a/b",
        ] {
            assert!(username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        email("alice@example.com").unwrap();
        email("ä@例え.jp").unwrap();
        let long = format!("{}@example.com", "a".repeat(254 - 12));
        email(&long).unwrap();
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@c",
            "a@b@c",
            &format!("a{long}"),
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_and_passwords_are_bounded() {
        assert_eq!(name(Some(String::new())).unwrap(), None);
        assert_eq!(
            name(Some("Ünïcode ✓".into())).unwrap().as_deref(),
            Some("Ünïcode ✓")
        );
        assert!(name(Some("x".repeat(256))).is_err());
        assert!(name(Some("a\nb".into())).is_err());
        password("password", "12345678").unwrap();
        password("password", &"é".repeat(1024)).unwrap();
        for bad in ["1234567", "abcdefg\0h", &"x".repeat(1025)] {
            assert!(password("password", bad).is_err());
        }
    }
}
