//! Fuzz target: DSN parsing (`dsn.rs`): Hydra's pool parameters, SQLite paths and
//! driver parameters. Parsed or refused without a panic; a refusal never echoes the
//! DSN, which may hold a password.

use super::dsn::parse;
use crate::fuzz::{run, seeds};

const DSN_SEEDS: &[&str] = &[
    "postgres://user:s3cr%40t@db.example:5432/hydra?sslmode=verify-full&max_conns=20&max_idle_conns=4&max_conn_lifetime=1h&max_conn_idle_time=30s",
    "postgresql://localhost/db?search_path=a",
    "mysql://root:pw@tcp(127.0.0.1:3306)/db?parseTime=true",
    "mysql://user:pw@127.0.0.1:3306/db?max_conns=0",
    "sqlite:///var/lib/portunus/db.sqlite?_fk=true&mode=rwc&max_conns=1",
    "sqlite://./portunus.sqlite",
    "sqlite3://file:memdb?mode=memory&cache=shared",
    "cockroach://x",
];

#[test]
fn fuzz_dsn_parse() {
    run("dsn", &seeds(DSN_SEEDS), |g, input| {
        *input = g.mutated();
        let dsn = String::from_utf8_lossy(input).into_owned();
        match parse(&dsn) {
            Ok(parsed) => {
                g.reached();
                assert!(parsed.pool.max_size >= 1);
                assert!(
                    parsed
                        .pool
                        .min_idle
                        .is_none_or(|idle| idle <= parsed.pool.max_size)
                );
            }
            Err(err) => {
                // A password-like userinfo never reaches the message.
                if let Some((_, rest)) = dsn.split_once("://")
                    && let Some((userinfo, _)) = rest.split_once('@')
                    && let Some((_, password)) = userinfo.split_once(':')
                    && password.len() >= 6
                {
                    assert!(
                        !err.to_string().contains(password),
                        "{err} echoes the password"
                    );
                }
            }
        }
    });
}
