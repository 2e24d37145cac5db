//! Streams over every page of the list operations, following the RFC 8288 `Link`
//! header's `rel="next"` target.
//!
//! The list operations answer one page and a `Link` header (RFC 8288 §3) naming the
//! next page, as Hydra does: `</admin/clients?page_size=2&page_token=…>; rel="next"`.
//! `stream()` on the request builder sends the request, yields the page's items, and
//! repeats with the next link's `page_token` until there is no `rel="next"` link. Only
//! the token is taken from the link: the next request goes to the client's own base
//! URL with the caller's other parameters, never to a host named by a response header.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use progenitor_client::ResponseValue;
use reqwest::header::{HeaderMap, LINK};

use crate::error::{ApiError, RawError};
use crate::{Error, builder, types};

/// A list request that can be re-sent for another page.
trait Paged: Clone + Send + Sized {
    type Item: Send;
    fn with_page_token(self, token: String) -> Self;
    fn send_page(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Vec<Self::Item>>, RawError>> + Send;
}

impl<'a> Paged for builder::ListOAuth2Clients<'a> {
    type Item = types::OAuth2Client;
    fn with_page_token(self, token: String) -> Self {
        self.page_token(token)
    }
    fn send_page(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Vec<Self::Item>>, RawError>> + Send {
        self.send()
    }
}

impl<'a> Paged for builder::ListOAuth2ConsentSessions<'a> {
    type Item = types::OAuth2ConsentSession;
    fn with_page_token(self, token: String) -> Self {
        self.page_token(token)
    }
    fn send_page(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Vec<Self::Item>>, RawError>> + Send {
        self.send()
    }
}

impl<'a> Paged for builder::ListUsers<'a> {
    type Item = types::User;
    fn with_page_token(self, token: String) -> Self {
        self.page_token(token)
    }
    fn send_page(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Vec<Self::Item>>, RawError>> + Send {
        self.send()
    }
}

impl<'a> builder::ListOAuth2Clients<'a> {
    /// Every client matching the request's filters, page after page (`page_size` per
    /// request when set, else the server's default).
    ///
    /// ```no_run
    /// # async fn example(admin: &portunus_sdk::Client) -> Result<(), portunus_sdk::ApiError> {
    /// use futures::TryStreamExt;
    ///
    /// let mut clients = admin.list_o_auth2_clients().page_size(100u64).stream();
    /// while let Some(client) = clients.try_next().await? {
    ///     println!("{:?}", client.client_id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// The stream ends after the first error.
    pub fn stream(self) -> BoxStream<'a, Result<types::OAuth2Client, ApiError>> {
        follow(self)
    }
}

impl<'a> builder::ListOAuth2ConsentSessions<'a> {
    /// Every consent session of the request's subject, page after page (see
    /// [`builder::ListOAuth2Clients::stream`]).
    pub fn stream(self) -> BoxStream<'a, Result<types::OAuth2ConsentSession, ApiError>> {
        follow(self)
    }
}

impl<'a> builder::ListUsers<'a> {
    /// Every local user matching the request's filter, page after page (see
    /// [`builder::ListOAuth2Clients::stream`]).
    pub fn stream(self) -> BoxStream<'a, Result<types::User, ApiError>> {
        follow(self)
    }
}

/// Where the stream stands: the request for the next page, or done.
enum Next<R> {
    Page { request: R, token: Option<String> },
    Done,
}

fn follow<'a, R: Paged + 'a>(first: R) -> BoxStream<'a, Result<R::Item, ApiError>> {
    let start = Next::Page {
        request: first,
        token: None,
    };
    stream::try_unfold(start, |next| async move {
        let Next::Page { request, token } = next else {
            return Ok(None);
        };
        let response = request.clone().send_page().await.map_err(ApiError::from)?;
        let next = match next_page_token(response.headers()) {
            // A server repeating the token would make the stream endless.
            Some(next_token) if token.as_deref() == Some(next_token.as_str()) => {
                return Err(ApiError::from(Error::Custom(format!(
                    "the server returned the page token {next_token:?} twice; \
                     stopping instead of looping"
                ))));
            }
            Some(next_token) => Next::Page {
                request: request.with_page_token(next_token.clone()),
                token: Some(next_token),
            },
            None => Next::Done,
        };
        let items = response.into_inner().into_iter().map(Ok::<_, ApiError>);
        Ok(Some((stream::iter(items), next)))
    })
    .try_flatten()
    .boxed()
}

/// The `page_token` query parameter of the `rel="next"` target among the `Link`
/// header fields, if any.
pub(crate) fn next_page_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(link_values)
        .find(|(_, rels)| {
            rels.split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
        })
        .and_then(|(target, _)| query_param(target, "page_token"))
}

/// The `(target, rel)` pairs of one `Link` field value (RFC 8288 §3:
/// `<URI-Reference> *( ";" link-param )`, link-values separated by commas). The target
/// is delimited by `<>`, so a comma inside it does not split the value.
fn link_values(field: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = field;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let target = &after[..close];
        let params_and_rest = &after[close + 1..];
        // The parameters run to the next link-value, which starts with `<`.
        let end = params_and_rest.find('<').unwrap_or(params_and_rest.len());
        let params = &params_and_rest[..end];
        let rel = params
            .split(';')
            .filter_map(|param| param.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("rel"))
            .map(|(_, value)| {
                value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .to_owned()
            })
            .unwrap_or_default();
        out.push((target, rel));
        rest = &params_and_rest[end..];
    }
    out
}

/// The first value of the query parameter `name` of a URI reference (absolute or
/// relative), percent-decoded.
fn query_param(target: &str, name: &str) -> Option<String> {
    // A relative reference resolves against any base; only its query is read.
    let base = reqwest::Url::parse("http://base.invalid/").ok()?;
    let url = base.join(target).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(LINK, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn finds_the_next_token_among_other_relations() {
        let map = headers(&[
            r#"</admin/clients?page_size=2&page_token=abc>; rel="first", </admin/clients?page_size=2&page_token=d%2Bf>; rel="next""#,
        ]);
        assert_eq!(next_page_token(&map).as_deref(), Some("d+f"));
    }

    #[test]
    fn reads_every_link_field_unquoted_rel_and_rel_lists() {
        let map = headers(&[
            r#"</x?page_token=a>; rel=first"#,
            r#"<https://other.example/x?page_token=b&page_size=5>; title="a, b"; rel="last next""#,
        ]);
        assert_eq!(next_page_token(&map).as_deref(), Some("b"));
    }

    #[test]
    fn no_next_link_means_no_token() {
        assert_eq!(next_page_token(&headers(&[])), None);
        assert_eq!(
            next_page_token(&headers(&[r#"</admin/clients?page_token=a>; rel="first""#])),
            None
        );
        assert_eq!(
            next_page_token(&headers(&[r#"</admin/clients?page_size=1>; rel="next""#])),
            None
        );
        assert_eq!(next_page_token(&headers(&["garbage"])), None);
    }
}
