//! RFC 9110 §15.5.6: a request for a resource that exists, with a method the resource
//! does not serve, is `405 Method Not Allowed` and the response MUST carry an `Allow`
//! header naming the methods it does serve. Every handler is an actix resource of its
//! own, guarded by its method (the route macros), so for such a request actix finds no
//! resource and calls the default service. This table, built from the OpenAPI paths of
//! the same registrations, lets the default service tell the two cases apart.

use std::collections::BTreeMap;

use actix_web::dev::ResourceDef;
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::PathItem;

/// The methods each registered path serves, for one listener.
#[derive(Default)]
pub struct AllowedMethods(Vec<(ResourceDef, String)>);

/// In the order of RFC 9110 §9.3.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

fn documented(item: &PathItem) -> impl Iterator<Item = &'static str> + '_ {
    [
        item.get.is_some(),
        item.head.is_some(),
        item.post.is_some(),
        item.put.is_some(),
        item.patch.is_some(),
        item.delete.is_some(),
        item.options.is_some(),
    ]
    .into_iter()
    .zip(METHODS)
    .filter_map(|(served, name)| served.then_some(name))
}

impl AllowedMethods {
    /// From the listener's OpenAPI paths (`/admin/clients/{id}` is also actix's syntax)
    /// and the `(path, method)` routes it serves without documenting them (as Hydra's
    /// document leaves out `POST /oauth2/auth`).
    pub fn new(api: &OpenApi, undocumented: &[(&str, &'static str)]) -> Self {
        let mut paths: BTreeMap<&str, Vec<&'static str>> = BTreeMap::new();
        for (path, item) in &api.paths.paths {
            paths.entry(path).or_default().extend(documented(item));
        }
        for (path, method) in undocumented {
            paths.entry(path).or_default().push(method);
        }
        Self(
            paths
                .into_iter()
                .map(|(path, mut methods)| {
                    methods.sort_by_key(|m| METHODS.iter().position(|known| known == m));
                    methods.dedup();
                    (ResourceDef::new(path), methods.join(", "))
                })
                .filter(|(_, allow)| !allow.is_empty())
                .collect(),
        )
    }

    /// The `Allow` value of the path, when some registered route has it.
    pub fn of(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, allow)| allow.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::HttpMethod;
    use utoipa::openapi::path::{OperationBuilder, PathItem, PathsBuilder};

    #[test]
    fn names_the_methods_of_a_registered_path() {
        let item = |methods: &[HttpMethod]| {
            let mut item = PathItem::new(methods[0].clone(), OperationBuilder::new().build());
            for method in &methods[1..] {
                item.merge_operations(PathItem::new(
                    method.clone(),
                    OperationBuilder::new().build(),
                ));
            }
            item
        };
        let paths = PathsBuilder::new()
            .path("/oauth2/token", item(&[HttpMethod::Post]))
            .path(
                "/admin/clients/{id}",
                item(&[HttpMethod::Get, HttpMethod::Put, HttpMethod::Delete]),
            )
            .build();
        let mut api = OpenApi::default();
        api.paths = paths;
        let table = AllowedMethods::new(&api, &[("/oauth2/token", "GET"), ("/robots.txt", "GET")]);
        assert_eq!(table.of("/oauth2/token"), Some("GET, POST"));
        assert_eq!(table.of("/robots.txt"), Some("GET"));
        assert_eq!(table.of("/admin/clients/abc"), Some("GET, PUT, DELETE"));
        assert_eq!(table.of("/admin/clients/abc/extra"), None);
        assert_eq!(table.of("/nothing"), None);
    }
}
