//! The `429` of the rate limits in the OpenAPI document: every operation the
//! middleware may limit (`Group::of`) declares it, with the same error content as its
//! other 4xx answers (the JSON error body, or the HTML page of a browser endpoint).
//! Added here rather than in each handler's annotation so no operation can miss it.

use serde_json::{Value, json};

use super::Group;

const ERROR_SCHEMA: &str = "#/components/schemas/errorOAuth2";
const DESCRIPTION: &str = "Too many requests from this client address (error rate_limit_exceeded, Retry-After; only with rate_limit.enabled).";

/// Adds the `429` response to every limited operation of `document`.
pub fn declare_rate_limit_responses(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if Group::of(path, path.starts_with("/admin/")).is_none() {
            continue;
        }
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if matches!(
                method.as_str(),
                "servers" | "parameters" | "summary" | "description"
            ) {
                continue;
            }
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            // An operation without 4xx answers (discovery, JWKS) is a JSON one.
            let content = responses
                .iter()
                .filter(|(status, _)| status.starts_with('4'))
                .find_map(|(_, response)| response.get("content").cloned())
                .unwrap_or_else(|| json!({"application/json": {"schema": {"$ref": ERROR_SCHEMA}}}));
            responses
                .entry("429")
                .or_insert_with(|| json!({"description": DESCRIPTION, "content": content}));
        }
    }
}
