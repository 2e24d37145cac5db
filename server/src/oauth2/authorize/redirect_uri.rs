//! Which redirect URI an authorization request may use (RFC 6749 §3.1.2.3).

use crate::client::model::Client;
use crate::client::validate::{Navigation, UriPolicy, check_navigation};
use crate::error::{OAuth2Error, quoted};

/// RFC 6749 §3.1.2.3: without `redirect_uri`, the client must have exactly one
/// registered; with it, it must equal a registered URI exactly (simple string
/// comparison, RFC 3986 §6.2.1), except that for loopback IP redirects the port may
/// differ (RFC 8252 §7.3: native apps bind an ephemeral port). The URI must also have a
/// scheme registration allows under `policy` today (`client::validate`), so that a
/// client stored before a rule existed is not sent to a `javascript:` URI.
pub fn resolve(
    client: &Client,
    given: Option<&str>,
    policy: UriPolicy,
) -> Result<String, OAuth2Error> {
    let uri = registered(client, given)?;
    let parsed = url::Url::parse(&uri).map_err(|e| {
        OAuth2Error::invalid_request(format!("The redirect URI is not a URL ({e})."))
    })?;
    check_navigation(&parsed, Navigation::Redirect, policy).map_err(|why| {
        OAuth2Error::invalid_request(format!(
            "The redirect URI {} {why}; the client must register another.",
            quoted(&uri)
        ))
    })?;
    Ok(uri)
}

fn registered(client: &Client, given: Option<&str>) -> Result<String, OAuth2Error> {
    let Some(given) = given else {
        return match client.redirect_uris.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(OAuth2Error::invalid_request(
                "The client has no registered redirect URIs, so no redirect_uri can be used.",
            )),
            _ => Err(OAuth2Error::invalid_request(
                "The redirect_uri parameter is required because the client registered more than one redirect URI.",
            )),
        };
    };
    if client
        .redirect_uris
        .iter()
        .any(|registered| registered == given)
        || client
            .redirect_uris
            .iter()
            .any(|registered| loopback_port_variant(registered, given))
    {
        return Ok(given.to_owned());
    }
    Err(OAuth2Error::invalid_request(format!(
        "The redirect_uri {} does not match any of the client's registered redirect URIs.",
        quoted(given)
    )))
}

/// RFC 8252 §7.3: "The authorization server MUST allow any port to be specified at the
/// time of the request for loopback IP redirect URIs". Only `http` to 127.0.0.1 or
/// [::1]; everything but the port must be equal.
fn loopback_port_variant(registered: &str, given: &str) -> bool {
    let (Ok(registered), Ok(mut given)) = (url::Url::parse(registered), url::Url::parse(given))
    else {
        return false;
    };
    let is_loopback_ip = |u: &url::Url| {
        u.scheme() == "http" && matches!(u.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || u.scheme() == "http"
                && matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
    };
    if !is_loopback_ip(&registered) || !is_loopback_ip(&given) {
        return false;
    }
    if given.set_port(registered.port()).is_err() {
        return false;
    }
    given == registered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_(client: &Client, given: Option<&str>) -> Result<String, OAuth2Error> {
        resolve(client, given, UriPolicy::default())
    }

    fn client(uris: &[&str]) -> Client {
        Client {
            redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            ..Client::default()
        }
    }

    #[test]
    fn exact_match_only() {
        let c = client(&[
            "https://app.example.com/cb",
            "https://app.example.com/other",
        ]);
        assert!(resolve_(&c, Some("https://app.example.com/cb")).is_ok());
        assert!(resolve_(&c, Some("https://app.example.com/cb/")).is_err());
        assert!(resolve_(&c, Some("https://app.example.com/cb?x=1")).is_err());
        assert!(resolve_(&c, Some("HTTPS://app.example.com/cb")).is_err());
        assert!(
            resolve_(&c, None).is_err(),
            "several registered: parameter required"
        );
        let one = client(&["https://app.example.com/cb"]);
        assert_eq!(resolve_(&one, None).unwrap(), "https://app.example.com/cb");
    }

    #[test]
    fn loopback_ports_may_vary() {
        let c = client(&[
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "http://localhost/cb",
        ]);
        assert!(resolve_(&c, Some("http://127.0.0.1:51234/cb")).is_ok());
        assert!(resolve_(&c, Some("http://[::1]:9999/cb")).is_ok());
        assert!(resolve_(&c, Some("http://127.0.0.1:51234/other")).is_err());
        assert!(
            resolve_(&c, Some("http://localhost:51234/cb")).is_err(),
            "names are not IP literals"
        );
        assert!(
            resolve_(
                &client(&["https://127.0.0.1/cb"]),
                Some("https://127.0.0.1:1/cb")
            )
            .is_err()
        );
    }

    /// Issue 12 item 3, in depth: a client stored before registration refused these
    /// schemes must not be redirected to them either (the error is shown, not sent).
    #[test]
    fn stored_script_and_insecure_uris_are_not_used() {
        for uri in [
            "javascript:alert(1)",
            "data:text/html,x",
            "http://app.example.com/cb",
        ] {
            let c = client(&[uri]);
            assert!(resolve_(&c, Some(uri)).is_err(), "{uri}");
            assert!(resolve_(&c, None).is_err(), "{uri}");
        }
        let insecure = UriPolicy {
            allow_insecure_http: true,
        };
        let c = client(&["http://app.example.com/cb"]);
        assert!(resolve(&c, None, insecure).is_ok());
    }
}
