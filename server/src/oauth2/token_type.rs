//! The `token_type` of an issued access token (RFC 6749 §7.1): how the client must
//! present it. Every response that issues an access token takes it from here; the
//! token endpoint decides it once per request (`grants::GrantRegistry::exchange`): a
//! valid DPoP proof (RFC 9449 §5) makes it [`TokenType::DPoP`], bound to the proof's
//! key.

/// The type of an access token, as responses name it, with its binding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TokenType {
    /// RFC 6750: whoever holds the token may use it.
    #[default]
    Bearer,
    /// RFC 9449 §5: usable only with a proof by the key whose RFC 7638 thumbprint is
    /// `jkt`.
    DPoP { jkt: String },
}

impl TokenType {
    /// The `token_type` value of token and authorization responses. RFC 6749 §5.1
    /// makes it case-insensitive; Hydra writes `bearer`, and so does Portunus; RFC 9449
    /// §5 writes `DPoP`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Bearer => "bearer",
            Self::DPoP { .. } => "DPoP",
        }
    }

    /// The thumbprint the token is bound to (`cnf.jkt`, RFC 9449 §6).
    pub fn jkt(&self) -> Option<&str> {
        match self {
            Self::Bearer => None,
            Self::DPoP { jkt } => Some(jkt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_is_written_as_hydra_writes_it() {
        assert_eq!(TokenType::Bearer.as_str(), "bearer");
        assert_eq!(TokenType::default(), TokenType::Bearer);
        assert_eq!(TokenType::Bearer.jkt(), None);
    }

    #[test]
    fn rfc9449_5_dpop_is_written_as_the_rfc_writes_it() {
        let dpop = TokenType::DPoP { jkt: "abc".into() };
        assert_eq!(dpop.as_str(), "DPoP");
        assert_eq!(dpop.jkt(), Some("abc"));
    }
}
