//! Writes the OpenAPI document to `openapi/openapi.json` (or the path given).
//!
//! The refresh path for the checked-in document: it builds only the server crate, so
//! it works even when the document is stale and the SDK (built from it) no longer
//! matches the code that uses it. `portunus openapi` prints the same document.

fn main() -> std::process::ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json").to_owned()
    });
    match std::fs::write(&path, portunus_server::http::openapi::document_pretty()) {
        Ok(()) => {
            println!("wrote {path}");
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("cannot write {path}: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
