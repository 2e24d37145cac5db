//! Generates the Portunus client from `openapi.json` (this crate's copy of the
//! workspace's `openapi/openapi.json`) with progenitor.
//!
//! The document is the one the server exports (`portunus openapi`), already downgraded
//! to OpenAPI 3.0.3 — progenitor 0.15 reads 3.0.x only. It lives inside the crate so
//! that `cargo package` ships it and the packaged crate builds on its own; the export
//! command writes both copies and the server's freshness test checks both. Nothing here knows the
//! document's operations: any valid 3.0.x document generates a client.
//!
//! Output: `$OUT_DIR/codegen.rs`, included by `src/lib.rs`.

use std::path::{Path, PathBuf};
use std::{env, fs};

/// How to regenerate the document; named in every failure message.
const REGENERATE: &str = "cargo run -p portunus-server --example export_openapi";

fn main() {
    if let Err(message) = generate() {
        // `cargo::error` fails the build and shows the message as is, one directive per
        // line; the non-zero exit makes sure the build fails even if it were ignored.
        for line in message.lines() {
            println!("cargo::error={line}");
        }
        std::process::exit(1);
    }
}

fn generate() -> Result<(), String> {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or("CARGO_MANIFEST_DIR is not set (run this build script through cargo)")?;
    let out_dir = env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or("OUT_DIR is not set (run this build script through cargo)")?;
    let spec_path = manifest_dir.join("openapi.json");
    let shown = display_path(&spec_path);

    // Also when the file is missing, so that creating it re-runs the script.
    println!("cargo::rerun-if-changed={}", spec_path.display());

    let fail = |what: String| {
        format!(
            "portunus-sdk: cannot generate the client from {shown}: {what}\n\
             Regenerate the document from the workspace root with: {REGENERATE}"
        )
    };

    let text = fs::read_to_string(&spec_path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    // A 3.1 document (utoipa's raw output) fails deep inside the parse with "invalid
    // type: sequence, expected a string"; name the real cause instead.
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| fail(format!("not valid JSON: {e}")))?
        .get("openapi")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| fail("no \"openapi\" version field".to_owned()))?;
    if !version.starts_with("3.0.") {
        return Err(fail(format!(
            "it is OpenAPI {version}, progenitor reads 3.0.x only \
             (`portunus openapi` exports the downgraded 3.0.3 document)"
        )));
    }
    let spec: openapiv3::OpenAPI = serde_json::from_str(&text)
        .map_err(|e| fail(format!("not a valid OpenAPI 3.0 document: {e}")))?;

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    let mut generator = progenitor::Generator::new(&settings);

    // progenitor panics (rather than returning an error) on some document shapes: an
    // operation with two success types (JSON 200 plus empty 204) or two error types
    // ("assertion failed: response_types.len() <= 1"), a request body offered in two
    // media types ("more media types than expected"). Report those the same way.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&spec)
    }))
    .map_err(|panic| {
        let reason = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        fail(format!("progenitor panicked: {reason}"))
    })?
    .map_err(|e| fail(format!("progenitor rejected it: {e}")))?;

    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| fail(format!("progenitor produced unparsable code: {e}")))?;
    let code = prettyplease::unparse(&file);

    let out_path = out_dir.join("codegen.rs");
    fs::write(&out_path, code)
        .map_err(|e| format!("portunus-sdk: cannot write {}: {e}", out_path.display()))?;
    Ok(())
}

/// The path with any `..` resolved, for messages.
fn display_path(path: &Path) -> String {
    let normalized = path.components().fold(PathBuf::new(), |mut acc, c| {
        match c {
            std::path::Component::ParentDir => {
                acc.pop();
            }
            other => acc.push(other),
        }
        acc
    });
    normalized.display().to_string()
}
