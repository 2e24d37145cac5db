//! The dependency direction between the crate's top-level modules, checked
//! (docs/architecture.md, "Module dependencies"). Each module may use only the modules
//! [`ALLOWED`] lists for it, and those edges form no cycle, so protocol code can be read,
//! tested and moved bottom-up. [`PENDING`] lists the edges that still close a cycle, each
//! with what removes it; the test fails when one of them is gone (strike it from the
//! list) and when a new edge appears in neither table.
//!
//! An edge is a `crate::<module>` path in code (comments are skipped) of a file under
//! `server/src/<source>`. Test code may use any module (a test of `jwk` runs it on the
//! memory store): `fuzz/`, files named `tests.rs` or `fuzz.rs` or under a `tests/`
//! folder, and a file's inline `mod tests`, which clippy's `items_after_test_module`
//! keeps last.

/// Every top-level module with the modules it may use: lower layers first.
const ALLOWED: &[(&str, &[&str])] = &[
    ("clock", &[]),
    ("duration", &[]),
    ("secrets", &[]),
    ("openapi_v30", &[]),
    ("error", &[]),
    ("outbox_event", &["error"]),
    ("config", &["duration"]),
    ("pagination", &["error"]),
    ("html", &["error"]),
    ("telemetry", &["config"]),
    ("prometheus", &[]),
    ("redis_client", &[]),
    ("failed_attempts", &["prometheus", "redis_client"]),
    ("outbound", &["config", "error", "telemetry"]),
    (
        "jwk",
        &[
            "clock",
            "config",
            "duration",
            "error",
            "outbox_event",
            "secrets",
        ],
    ),
    (
        "client",
        &[
            "clock",
            "config",
            "duration",
            "error",
            "jwk",
            "outbound",
            "outbox_event",
            "pagination",
            "secrets",
        ],
    ),
    (
        "trust",
        &["clock", "error", "jwk", "outbox_event", "pagination"],
    ),
    ("users", &["client", "clock", "error", "pagination"]),
    (
        "storage",
        &[
            "client",
            "clock",
            "duration",
            "error",
            "jwk",
            "outbox_event",
            "prometheus",
            "telemetry",
            "trust",
            "users",
        ],
    ),
    ("health", &["storage"]),
    (
        "events",
        &[
            "client",
            "clock",
            "config",
            "jwk",
            "outbound",
            "prometheus",
            "storage",
            "trust",
        ],
    ),
    ("janitor", &["clock", "config", "prometheus", "storage"]),
    (
        "oidc",
        &[
            "client",
            "clock",
            "config",
            "duration",
            "error",
            "html",
            "jwk",
            "outbound",
            "storage",
            "telemetry",
        ],
    ),
    (
        "oauth2",
        &[
            "client",
            "clock",
            "config",
            "duration",
            "error",
            "events",
            "failed_attempts",
            "html",
            "jwk",
            "oidc",
            "outbound",
            "prometheus",
            "redis_client",
            "secrets",
            "storage",
            "telemetry",
            "trust",
        ],
    ),
    (
        "flow",
        &[
            "client",
            "clock",
            "config",
            "duration",
            "error",
            "events",
            "html",
            "jwk",
            "oauth2",
            "oidc",
            "pagination",
            "prometheus",
            "secrets",
            "storage",
        ],
    ),
    (
        "forward_auth",
        &[
            "config", "error", "flow", "oauth2", "oidc", "storage", "users",
        ],
    ),
    (
        "login_ui",
        &[
            "client",
            "config",
            "duration",
            "error",
            "failed_attempts",
            "flow",
            "html",
            "jwk",
            "oauth2",
            "outbound",
            "redis_client",
            "secrets",
            "users",
        ],
    ),
    (
        "dashboard",
        &[
            "client",
            "html",
            "jwk",
            "outbox_event",
            "prometheus",
            "secrets",
            "trust",
        ],
    ),
    (
        "state",
        &[
            "client",
            "clock",
            "config",
            "events",
            "flow",
            "health",
            "jwk",
            "login_ui",
            "oauth2",
            "oidc",
            "redis_client",
            "secrets",
            "storage",
            "users",
        ],
    ),
    (
        "http",
        &[
            "client",
            "clock",
            "config",
            "dashboard",
            "error",
            "events",
            "flow",
            "forward_auth",
            "health",
            "html",
            "jwk",
            "login_ui",
            "oauth2",
            "oidc",
            "openapi_v30",
            "pagination",
            "prometheus",
            "redis_client",
            "state",
            "storage",
            "telemetry",
            "trust",
            "users",
        ],
    ),
    (
        "app",
        &[
            "clock",
            "config",
            "events",
            "health",
            "http",
            "janitor",
            "jwk",
            "login_ui",
            "oauth2",
            "oidc",
            "prometheus",
            "redis_client",
            "secrets",
            "state",
            "storage",
            "telemetry",
        ],
    ),
    ("lib", &["app", "config"]),
];

/// Edges that exist today and close a cycle, with the change that removes each. Empty:
/// the last one (oauth2 → state) went when the OAuth 2.0 core and the flow got contexts
/// of their own (`oauth2/context.rs`, `flow/context.rs`).
const PENDING: &[(&str, &str, &str)] = &[];

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use super::{ALLOWED, PENDING};

    type Edges = BTreeMap<String, BTreeSet<String>>;

    /// `crate::<module>` edges of every file, per top-level module.
    fn actual_edges() -> Edges {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut edges = Edges::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
                let path = entry.unwrap_or_else(|e| panic!("{dir:?}: {e}")).path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let relative = path.strip_prefix(&root).unwrap_or(&path);
                let top = relative
                    .components()
                    .next()
                    .and_then(|c| c.as_os_str().to_str())
                    .unwrap_or_default()
                    .trim_end_matches(".rs")
                    .to_owned();
                let test_file = relative.components().any(|c| c.as_os_str() == "tests")
                    || path
                        .file_name()
                        .is_some_and(|name| name == "tests.rs" || name == "fuzz.rs");
                if test_file {
                    continue;
                }
                let text =
                    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                let code_text = match text.find("#[cfg(test)]\nmod tests {") {
                    Some(at) => &text[..at],
                    None => &text,
                };
                for line in code_text.lines() {
                    let code = line.split("//").next().unwrap_or_default();
                    for (at, _) in code.match_indices("crate::") {
                        let name: String = code[at + "crate::".len()..]
                            .chars()
                            .take_while(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'
                            })
                            .collect();
                        if !name.is_empty() && name != top {
                            edges.entry(top.clone()).or_default().insert(name);
                        }
                    }
                }
            }
        }
        edges
    }

    fn allowed(from: &str, to: &str) -> bool {
        ALLOWED
            .iter()
            .any(|(module, uses)| *module == from && uses.contains(&to))
    }

    #[test]
    fn every_edge_is_allowed_or_pending() {
        let mut unexpected = Vec::new();
        for (from, targets) in actual_edges() {
            if from == "fuzz" || from == "module_graph" {
                continue;
            }
            for to in targets {
                let pending = PENDING.iter().any(|(f, t, _)| *f == from && *t == to);
                if to != "fuzz" && !allowed(&from, &to) && !pending {
                    unexpected.push(format!("{from} -> {to}"));
                }
            }
        }
        assert!(
            unexpected.is_empty(),
            "edges neither allowed nor pending (docs/architecture.md, \"Module dependencies\"): {unexpected:?}"
        );
    }

    #[test]
    fn every_pending_edge_still_exists() {
        let edges = actual_edges();
        for (from, to, _) in PENDING {
            assert!(
                edges.get(*from).is_some_and(|t| t.contains(*to)),
                "{from} -> {to} is gone: strike it from PENDING"
            );
            assert!(
                !allowed(from, to),
                "{from} -> {to} is both allowed and pending"
            );
        }
    }

    #[test]
    fn every_module_is_in_the_table() {
        let listed: BTreeSet<&str> = ALLOWED.iter().map(|(m, _)| *m).collect();
        for module in actual_edges().keys() {
            if module != "fuzz" && module != "module_graph" {
                assert!(
                    listed.contains(module.as_str()),
                    "{module} is not in ALLOWED"
                );
            }
        }
    }

    /// The modules of `table` that cannot be placed after everything they use (Kahn's
    /// algorithm): those on a cycle, or using a module the table does not list.
    fn unplaced<'a>(table: &[(&'a str, &[&'a str])]) -> Vec<&'a str> {
        let mut placed: BTreeSet<&str> = BTreeSet::new();
        loop {
            let next: Vec<&str> = table
                .iter()
                .filter(|(m, uses)| !placed.contains(m) && uses.iter().all(|u| placed.contains(u)))
                .map(|(m, _)| *m)
                .collect();
            if next.is_empty() {
                break;
            }
            placed.extend(next);
        }
        table
            .iter()
            .map(|(m, _)| *m)
            .filter(|m| !placed.contains(m))
            .collect()
    }

    #[test]
    fn the_allowed_edges_form_no_cycle() {
        let stuck = unplaced(ALLOWED);
        assert!(
            stuck.is_empty(),
            "these modules are on a cycle or use an unlisted module: {stuck:?}"
        );
    }

    #[test]
    fn a_cycle_is_found() {
        let table: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["a"]), ("c", &[]), ("d", &["c"])];
        assert_eq!(unplaced(table), vec!["a", "b"]);
    }
}
