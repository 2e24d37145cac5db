//! The parameters of a form-encoded request body (RFC 6749 §3.2: token endpoint
//! requests are `application/x-www-form-urlencoded`). Keeps every pair, so repeated
//! parameters can be refused (RFC 6749 §3.2: "parameters MUST NOT be included more
//! than once") or, where a specification allows repetition (`audience`), collected.

use crate::error::OAuth2Error;

/// The decoded name/value pairs of a form body, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormParams {
    pairs: Vec<(String, String)>,
}

impl FormParams {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// The single value of `name`; `None` when absent or empty (RFC 6749 §3.1:
    /// "Parameters sent without a value MUST be treated as if they were omitted").
    /// A parameter given more than once is `invalid_request`.
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuth2Error> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(OAuth2Error::invalid_request(format!(
                "The request parameter '{name}' must not be included more than once."
            )));
        }
        Ok(first)
    }

    /// Like [`get`](Self::get), but absence is `invalid_request` too.
    pub fn require(&self, name: &str) -> Result<&str, OAuth2Error> {
        self.get(name)?.ok_or_else(|| {
            OAuth2Error::invalid_request(format!("The request parameter '{name}' is missing."))
        })
    }

    /// Every non-empty value of `name`, for parameters that may repeat.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `name` is present with a value.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, v)| n == name && !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormParams {
        FormParams::new(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn single_values_empty_values_and_repeats() {
        let f = form(&[("a", "1"), ("b", ""), ("c", "x"), ("c", "y")]);
        assert_eq!(f.get("a").unwrap(), Some("1"));
        assert_eq!(f.get("b").unwrap(), None);
        assert_eq!(f.get("missing").unwrap(), None);
        assert!(f.get("c").is_err());
        assert_eq!(f.all("c"), vec!["x", "y"]);
        assert!(f.require("b").is_err());
        assert!(f.has("a") && !f.has("b"));
    }
}
