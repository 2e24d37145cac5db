//! The OpenAPI document declares every status an operation answers (issue 12, item 12;
//! a schema-driven fuzzer's status-code conformance check relies on it): the statuses
//! that middleware and extractors add to every operation of a kind are checked here,
//! so a new operation cannot leave them out. The fuzzer (`.ci/schemathesis`) checks the
//! rest against a running server.

use serde_json::Value;

const ERROR_SCHEMA: &str = "#/components/schemas/errorOAuth2";

/// Browser endpoints: their pages are HTML, not the JSON error body.
const BROWSER: &[&str] = &[
    "/oauth2/auth",
    "/oauth2/sessions/logout",
    "/oauth2/device/verify",
    "/oauth2/sign_out",
    "/oauth/authorize",
];

/// Probes answer from memory and cannot fail inside; the readiness answers of both
/// path families carry their own health shape, not the error body.
const PROBES: &[&str] = &[
    "/health/alive",
    "/health/ready",
    "/ping",
    "/ready",
    "/health",
];
const HEALTH_SHAPED: &[&str] = &["/health/ready", "/ready", "/health"];

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "servers" {
                continue; // the public paths' listener, not an operation
            }
            out.push((path.clone(), method.to_uppercase(), operation));
        }
    }
    out
}

#[test]
fn every_operation_declares_the_statuses_its_kind_can_answer() {
    let doc = portunus_server::http::openapi::document();
    let mut missing = Vec::new();
    for (path, method, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        let mut expected: Vec<&str> = Vec::new();
        // The body extractors: malformed (400), too large (413), another type (415).
        if operation.get("requestBody").is_some() {
            expected.extend(["400", "413", "415"]);
        }
        // The admin API key middleware (serve.admin.api_key).
        if path.starts_with("/admin/") {
            expected.push("401");
        }
        // The rate limits (rate_limit): every public operation but the
        // probes and the version, and introspection on the admin listener.
        let public = !path.starts_with("/admin/");
        let probe =
            path.starts_with("/health") || ["/version", "/ready", "/ping"].contains(&path.as_str());
        if (public && !probe) || path == "/admin/oauth2/introspect" {
            expected.push("429");
        }
        // Everything that does work can fail inside; probes and the version cannot.
        if !PROBES.contains(&path.as_str()) && path != "/admin/version" {
            expected.push("500");
        }
        for status in expected {
            if !responses.contains_key(status) {
                missing.push(format!("{method} {path}: {status}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undeclared statuses:\n{}",
        missing.join("\n")
    );
}

#[test]
fn error_statuses_carry_the_error_schema_or_an_html_page() {
    let doc = portunus_server::http::openapi::document();
    for (path, method, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            if !(status.starts_with('4') || status.starts_with('5'))
                || HEALTH_SHAPED.contains(&path.as_str())
            {
                continue;
            }
            let content = response["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} {status}: no content"));
            let types: Vec<&String> = content.keys().collect();
            if BROWSER.contains(&path.as_str()) {
                assert_eq!(types, ["text/html"], "{method} {path} {status}");
            } else {
                assert_eq!(types, ["application/json"], "{method} {path} {status}");
                // Hydra's document answers errors of `/credentials` with the priming
                // shape (an error body that may carry a nonce), kept for its SDKs.
                let expected = if path == "/credentials" {
                    "#/components/schemas/verifiableCredentialPrimingResponse"
                } else {
                    ERROR_SCHEMA
                };
                assert_eq!(
                    content["application/json"]["schema"]["$ref"], expected,
                    "{method} {path} {status}"
                );
            }
        }
    }
}
