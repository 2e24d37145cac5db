//! The parameters of a form-encoded request body (RFC 6749 §3.2: token endpoint
//! requests are `application/x-www-form-urlencoded`). Keeps every value of a name, so
//! repeated parameters can be refused (RFC 6749 §3.2: "parameters MUST NOT be included
//! more than once") or, where a specification allows repetition (`audience`),
//! collected. At most [`MAX_PARAMETERS`] pairs are read.

use std::collections::HashMap;

use crate::error::OAuth2Error;
use crate::oauth2::limits::{self, MAX_PARAMETERS};

/// The decoded name/value pairs of a form body or query string, indexed by name: each
/// read is one hash lookup, so a request's reads cost what its pairs cost to index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormParams {
    /// The non-empty values of each name, in the order they came (RFC 6749 §3.1:
    /// "Parameters sent without a value MUST be treated as if they were omitted").
    values: HashMap<String, Vec<String>>,
    /// The number of pairs when it is over [`MAX_PARAMETERS`]: nothing is indexed and
    /// every read is `invalid_request`.
    too_many: Option<usize>,
}

impl FormParams {
    /// The parameters `pairs`, in order (tests).
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self::new(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    pub fn new(pairs: Vec<(String, String)>) -> Self {
        if pairs.len() > MAX_PARAMETERS {
            return Self {
                values: HashMap::new(),
                too_many: Some(pairs.len()),
            };
        }
        let mut values: HashMap<String, Vec<String>> = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            let entry = values.entry(name).or_default();
            if !value.is_empty() {
                entry.push(value);
            }
        }
        Self {
            values,
            too_many: None,
        }
    }

    fn values(&self, name: &str) -> Result<&[String], OAuth2Error> {
        if let Some(count) = self.too_many {
            return Err(limits::too_many_parameters(count));
        }
        Ok(self.values.get(name).map(Vec::as_slice).unwrap_or_default())
    }

    /// The single value of `name`; `None` when absent or empty (RFC 6749 §3.1).
    /// A parameter given more than once is `invalid_request`.
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuth2Error> {
        match self.values(name)? {
            [] => Ok(None),
            [one] => Ok(Some(one.as_str())),
            _ => Err(OAuth2Error::invalid_request(format!(
                "The request parameter '{name}' must not be included more than once."
            ))),
        }
    }

    /// Like [`get`](Self::get), but absence is `invalid_request` too.
    pub fn require(&self, name: &str) -> Result<&str, OAuth2Error> {
        self.get(name)?.ok_or_else(|| {
            OAuth2Error::invalid_request(format!("The request parameter '{name}' is missing."))
        })
    }

    /// Every non-empty value of `name`, for parameters that may repeat.
    pub fn all(&self, name: &str) -> Result<Vec<&str>, OAuth2Error> {
        Ok(self.values(name)?.iter().map(String::as_str).collect())
    }

    /// Every name/value pair with a value, names in byte order, each name's values in
    /// the order they came (what a pushed request stores, RFC 9126 §2.2).
    pub fn to_pairs(&self) -> Result<Vec<(String, String)>, OAuth2Error> {
        if let Some(count) = self.too_many {
            return Err(limits::too_many_parameters(count));
        }
        let mut names: Vec<&String> = self.values.keys().collect();
        names.sort();
        Ok(names
            .into_iter()
            .flat_map(|name| {
                self.values
                    .get(name)
                    .into_iter()
                    .flatten()
                    .map(move |value| (name.clone(), value.clone()))
            })
            .collect())
    }

    /// Whether `name` is present with a value (never, when the request has too many
    /// parameters: every read then fails).
    pub fn has(&self, name: &str) -> bool {
        self.values(name).is_ok_and(|values| !values.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_values_empty_values_and_repeats() {
        let f = FormParams::from_pairs(&[("a", "1"), ("b", ""), ("c", "x"), ("c", "y")]);
        assert_eq!(f.get("a").unwrap(), Some("1"));
        assert_eq!(f.get("b").unwrap(), None);
        assert_eq!(f.get("missing").unwrap(), None);
        assert!(f.get("c").is_err());
        assert_eq!(f.all("c").unwrap(), vec!["x", "y"]);
        assert!(f.require("b").is_err());
        assert!(f.has("a") && !f.has("b"));
    }

    /// Issue 12 item 2: a body of up to 1 MiB could carry half a million pairs, each
    /// read scanning all of them.
    #[test]
    fn too_many_pairs_are_refused() {
        let pairs: Vec<(String, String)> = (0..=crate::oauth2::limits::MAX_PARAMETERS)
            .map(|i| (format!("p{i}"), "v".to_owned()))
            .collect();
        let f = FormParams::new(pairs);
        let err = f.get("p0").unwrap_err();
        assert!(
            err.description()
                .contains("The request has 1001 parameters; at most 1000 are accepted."),
            "{}",
            err.description()
        );
        assert!(f.require("p0").is_err() && f.all("p0").is_err() && !f.has("p0"));
    }
}
