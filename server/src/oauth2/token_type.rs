//! The `token_type` of an issued access token (RFC 6749 §7.1): how the client must
//! present it. Every response that issues an access token takes it from here; the
//! token endpoint decides it once per request (`grants::GrantRegistry::exchange`), so a
//! sender-constrained type (RFC 9449 §5 `DPoP`, when a proof binds the token) is one
//! new variant and one decision, not an edit of every grant.

/// The type of an access token, as responses name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TokenType {
    /// RFC 6750: whoever holds the token may use it.
    #[default]
    Bearer,
}

impl TokenType {
    /// The `token_type` value of token and authorization responses. RFC 6749 §5.1
    /// makes it case-insensitive; Hydra writes `bearer`, and so does Portunus.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "bearer",
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
    }
}
