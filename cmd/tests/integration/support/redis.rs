//! The Redis of PORTUNUS_TEST_REDIS_URL, for the tests of counters shared by nodes
//! (`.ci/run` starts Debian's redis-server and sets it; the default nextest profile
//! reports these tests as skipped).

use std::io::{Read, Write};
use std::time::Duration;

pub const REDIS_URL_VAR: &str = "PORTUNUS_TEST_REDIS_URL";

/// The configured Redis, checked to answer `PING`; `None` when unset. Set but
/// unreachable is a failure, not a skip.
pub fn redis_url() -> Option<String> {
    let Ok(url) = std::env::var(REDIS_URL_VAR) else {
        eprintln!("not run: {REDIS_URL_VAR} is not set");
        return None;
    };
    let address = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&address)
        .unwrap_or_else(|e| panic!("{REDIS_URL_VAR}={url} is unreachable: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"PING\r\n").unwrap();
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+PONG\r\n", "{REDIS_URL_VAR}={url} is not Redis");
    Some(url)
}

/// A key prefix of this test's own: parallel tests and earlier runs do not share
/// budgets.
pub fn unique_prefix() -> String {
    format!("portunus-test:{}:", uuid::Uuid::new_v4())
}
