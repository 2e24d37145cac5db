//! What the consent page says about a requested scope: the standard ones of OpenID
//! Connect Core (§3.1.2.1 `openid`, §5.4 `profile`/`email`/`address`/`phone`, §11
//! `offline_access`) in words; any other scope by its name.

/// The description of `scope` shown beside its checkbox.
pub fn describe(scope: &str) -> String {
    match scope {
        "openid" => "Confirm who you are (your user id)".into(),
        "profile" => "See your name and username".into(),
        "email" => "See your email address and whether it is verified".into(),
        "address" => "See your postal address".into(),
        "phone" => "See your phone number".into(),
        "offline_access" | "offline" => "Keep access while you are not using it".into(),
        _ => "Access".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_scopes_are_described_in_words() {
        assert!(describe("email").contains("email address"));
        assert_eq!(describe("photos.read"), "Access");
    }
}
