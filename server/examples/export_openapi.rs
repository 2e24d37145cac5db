//! Writes the OpenAPI document to `openapi/openapi.json` and `sdk/openapi.json` (or to
//! the one path given).
//!
//! The refresh path for the checked-in document: it builds only the server crate, so
//! it works even when the document is stale and the SDK (built from it) no longer
//! matches the code that uses it. `portunus openapi` prints the same document.
//!
//! Two copies, kept identical by the integration test `openapi::checked_in_document_is_fresh`:
//! `openapi/openapi.json` is the document of the project (schemathesis, other languages'
//! generators), `sdk/openapi.json` the one the SDK is generated from, inside the SDK
//! crate so that `cargo package -p portunus-sdk` ships it.

fn main() -> std::process::ExitCode {
    let paths = match std::env::args().nth(1) {
        Some(path) => vec![path],
        None => vec![
            concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json").to_owned(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk/openapi.json").to_owned(),
        ],
    };
    let document = portunus_server::http::openapi::document_pretty();
    for path in paths {
        match std::fs::write(&path, &document) {
            Ok(()) => println!("wrote {path}"),
            Err(err) => {
                eprintln!("cannot write {path}: {err}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    std::process::ExitCode::SUCCESS
}
