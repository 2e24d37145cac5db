//! RFC 8288 `Link` headers of paginated admin lists, as Hydra sends them: `rel="first"`
//! always, `rel="next"` while more items follow. Targets are relative to the listener.

/// The header value for a page of `path` with `page_size`, the filters to repeat, and
/// the next page's token.
pub fn link_header(
    path: &str,
    page_size: usize,
    filters: &[(&str, Option<&str>)],
    next: Option<&str>,
) -> String {
    let target = |token: Option<&str>| {
        let mut params = url::form_urlencoded::Serializer::new(String::new());
        params.append_pair("page_size", &page_size.to_string());
        if let Some(token) = token {
            params.append_pair("page_token", token);
        }
        for (name, value) in filters {
            if let Some(value) = value {
                params.append_pair(name, value);
            }
        }
        format!("<{path}?{}>", params.finish())
    };
    let mut links = vec![format!("{}; rel=\"first\"", target(None))];
    if let Some(next) = next {
        links.push(format!("{}; rel=\"next\"", target(Some(next))));
    }
    links.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_next() {
        let header = link_header(
            "/admin/clients",
            2,
            &[("owner", Some("o 1")), ("client_name", None)],
            Some("tok"),
        );
        assert_eq!(
            header,
            "</admin/clients?page_size=2&owner=o+1>; rel=\"first\", </admin/clients?page_size=2&page_token=tok&owner=o+1>; rel=\"next\""
        );
        assert!(!link_header("/x", 5, &[], None).contains("next"));
    }
}
