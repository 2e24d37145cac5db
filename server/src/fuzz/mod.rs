//! A mutation fuzzer for the parsers on the public port, run as ordinary unit tests on
//! stable Rust (docs/security.md, "Fuzzing"). `cargo fuzz` needs a nightly compiler;
//! this harness needs nothing beyond `rand`, which the crate already uses.
//!
//! Each target starts from valid inputs (seeds) and derives every case from one by a
//! few structure-blind mutations (bit flips, interesting bytes, dictionary words such
//! as `%`, `.`, `"alg":"none"`, inserted, deleted, duplicated and spliced ranges, extreme
//! numbers), so most cases are nearly valid and reach the code behind the first checks;
//! a few cases are random bytes. Targets add structure of their own (a valid JWS with
//! swapped segments, a token with one flipped bit) where it matters.
//!
//! Budget, per target: `PORTUNUS_FUZZ_CASES` cases (default [`DEFAULT_CASES`], a few
//! seconds for all targets together) or, when set, `PORTUNUS_FUZZ_SECONDS` of wall time.
//! The seed of the random generator is fixed for the default run (the same cases in
//! every CI run) and drawn afresh for timed runs; `PORTUNUS_FUZZ_SEED` sets it. A
//! failure prints the target, the seed, the case number and the input, so
//! `PORTUNUS_FUZZ_SEED=… PORTUNUS_FUZZ_CASES=…` replays it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::OAuth2Error;

mod client_id_metadata_document;
mod form_and_headers;
mod parameters;
mod sealed_state;
mod token_format;
mod wire_json;

/// Cases per target when no budget is configured.
pub const DEFAULT_CASES: u64 = 3_000;
/// The seed of the default run.
const DEFAULT_SEED: u64 = 0x5eed_f00d;
/// Inputs grow by mutation up to this size; bigger ones are cut.
const MAX_INPUT: usize = 8 * 1024;

/// Words that matter to the parsers: separators, encodings, JSON and JOSE fragments,
/// numbers at the edges of their types.
const DICTIONARY: &[&[u8]] = &[
    b"%",
    b"%00",
    b"%25",
    b"%C3%A9",
    b"%ZZ",
    b"%F0%9F%98",
    b"+",
    b"=",
    b"&",
    b";",
    b".",
    b"..",
    b":",
    b"/",
    b"//",
    b"\\",
    b"?",
    b"#",
    b"@",
    b" ",
    b"\t",
    b"\r\n",
    b"\"",
    b"'",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"null",
    b"true",
    b"-",
    b"_",
    b"*",
    b"\xc3\xa9",
    b"\xff",
    b"\xe2\x80\xae",
    b"\0",
    b"0",
    b"-1",
    b"1e308",
    b"-1e308",
    b"1e13",
    b"NaN",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775808",
    b"18446744073709551615",
    b"99999999999999999999999",
    b"0.5",
    b"Basic ",
    b"Bearer ",
    b"ptn_at_",
    b"ptn_rt_",
    b"ptn_ac_",
    b"eyJ",
    b"\"alg\":\"none\"",
    b"\"alg\":\"HS256\"",
    b"\"kid\":",
    b"\"aud\":[",
    b"\"exp\":",
    b"http://",
    b"https://",
    b"javascript:",
    b"127.0.0.1",
    b"[::1]",
    b"localhost",
    b"\\u0000",
    b"\\ud800",
    b"h",
    b"ms",
    b"\xc2\xb5s",
];

/// Extreme numbers spliced over digit runs.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e13",
    "1e308",
    "1.7976931348623157e309",
    "-0",
    "0.000001",
];

/// How long or how many cases each target runs.
#[derive(Debug, Clone, Copy)]
enum Budget {
    Cases(u64),
    Time(Duration),
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

fn budget() -> Budget {
    match env_u64("PORTUNUS_FUZZ_SECONDS") {
        Some(secs) if secs > 0 => Budget::Time(Duration::from_secs(secs)),
        _ => Budget::Cases(env_u64("PORTUNUS_FUZZ_CASES").unwrap_or(DEFAULT_CASES)),
    }
}

fn seed() -> u64 {
    env_u64("PORTUNUS_FUZZ_SEED").unwrap_or_else(|| match budget() {
        Budget::Cases(_) => DEFAULT_SEED,
        Budget::Time(_) => rand::rng().random(),
    })
}

/// The input of one case, printable for the failure report.
fn show(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(input);
    let cut: String = text.chars().take(2_000).collect();
    format!("{cut:?} ({} bytes)", input.len())
}

/// A case generator over a random source: targets draw structured cases with it.
pub struct Gen<'a> {
    pub rng: &'a mut StdRng,
    seeds: &'a [Vec<u8>],
    deep: &'a mut u64,
}

impl Gen<'_> {
    /// Counts a case that got past the first parse to the code under test: the run's
    /// report gives the share, which says whether the seeds and mutations reach deep.
    pub fn reached(&mut self) {
        *self.deep += 1;
    }

    /// A seed mutated 1–6 times, or (one case in 32) random bytes.
    pub fn mutated(&mut self) -> Vec<u8> {
        if self.seeds.is_empty() || self.rng.random_ratio(1, 32) {
            let len = self.rng.random_range(0..64);
            return (0..len).map(|_| self.rng.random()).collect();
        }
        let mut input = self.pick_seed();
        let rounds = self.rng.random_range(1..=6);
        for _ in 0..rounds {
            self.mutate(&mut input);
        }
        input.truncate(MAX_INPUT);
        input
    }

    /// [`Self::mutated`] as text (invalid UTF-8 replaced), for `&str` parsers.
    pub fn mutated_text(&mut self) -> String {
        String::from_utf8_lossy(&self.mutated()).into_owned()
    }

    /// Mutates `input` a few times: for targets that build their own valid input.
    pub fn mutate_text(&mut self, input: &str) -> String {
        let mut bytes = input.as_bytes().to_vec();
        let rounds = self.rng.random_range(1..=4);
        for _ in 0..rounds {
            self.mutate(&mut bytes);
        }
        bytes.truncate(MAX_INPUT);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// A compact JWS for JWT parsers: mostly a header and claims set from the given
    /// seeds with one or both changed (so the other still parses) and a random
    /// signature, base64url-encoded; otherwise (three cases in ten) mutated text.
    pub fn compact_jws(&mut self, headers: &[&str], claims: &[&str]) -> String {
        if headers.is_empty() || claims.is_empty() || !self.rng.random_bool(0.7) {
            return self.mutated_text();
        }
        let header = headers[self.rng.random_range(0..headers.len())];
        let claim = claims[self.rng.random_range(0..claims.len())];
        let (header, claim) = match self.rng.random_range(0..3) {
            0 => (self.mutate_text(header), claim.to_owned()),
            1 => (header.to_owned(), self.mutate_text(claim)),
            _ => (self.mutate_text(header), self.mutate_text(claim)),
        };
        let signature = self.mutated();
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claim),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    fn pick_seed(&mut self) -> Vec<u8> {
        let i = self.rng.random_range(0..self.seeds.len());
        self.seeds.get(i).cloned().unwrap_or_default()
    }

    fn word(&mut self) -> &'static [u8] {
        DICTIONARY[self.rng.random_range(0..DICTIONARY.len())]
    }

    fn mutate(&mut self, input: &mut Vec<u8>) {
        let len = input.len();
        let at = |rng: &mut StdRng| {
            if len == 0 {
                0
            } else {
                rng.random_range(0..=len)
            }
        };
        match self.rng.random_range(0..10) {
            0 if len > 0 => {
                let i = self.rng.random_range(0..len);
                input[i] ^= 1 << self.rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = self.rng.random_range(0..len);
                input[i] = self.rng.random();
            }
            2 | 3 => {
                let i = at(self.rng);
                let word = self.word();
                input.splice(i..i, word.iter().copied());
            }
            4 if len > 0 => {
                let i = self.rng.random_range(0..len);
                let n = self.rng.random_range(1..=(len - i).min(16));
                input.drain(i..i + n);
            }
            5 if len > 0 => {
                // Duplicate a range: repeated parameters, nested JSON, long words.
                let i = self.rng.random_range(0..len);
                let n = self.rng.random_range(1..=(len - i).min(64));
                let copy: Vec<u8> = input[i..i + n].to_vec();
                let times = self.rng.random_range(1..=8);
                let j = at(self.rng);
                for _ in 0..times {
                    input.splice(j..j, copy.iter().copied());
                }
            }
            6 => {
                // Splice another seed's head or tail.
                let other = self.pick_seed();
                if !other.is_empty() {
                    let cut = self.rng.random_range(0..other.len());
                    let i = at(self.rng);
                    if self.rng.random_bool(0.5) {
                        input.truncate(i);
                        input.extend_from_slice(&other[cut..]);
                    } else {
                        input.splice(i..i, other[..cut].iter().copied());
                    }
                }
            }
            7 => {
                // Replace a run of digits by an extreme number.
                let digits: Vec<usize> = (0..len).filter(|&i| input[i].is_ascii_digit()).collect();
                if let Some(&start) = digits.get(self.rng.random_range(0..digits.len().max(1))) {
                    let end = (start..len)
                        .find(|&i| !input[i].is_ascii_digit())
                        .unwrap_or(len);
                    let number = NUMBERS[self.rng.random_range(0..NUMBERS.len())];
                    input.splice(start..end, number.bytes());
                }
            }
            8 if len > 0 => {
                input.truncate(self.rng.random_range(0..len));
            }
            _ => {
                let i = at(self.rng);
                input.insert(i, self.rng.random_range(0x20..0x7f));
            }
        }
    }
}

/// Runs `case` for the configured budget on inputs from `seeds`. `case` draws its
/// input from the generator, checks its properties with `assert!` and returns the
/// input it used, for the failure report. Panics (ours or the code's) fail the test
/// with the seed and input. Returns the number of cases run.
pub fn run(
    target: &str,
    seeds: &[Vec<u8>],
    mut case: impl FnMut(&mut Gen<'_>, &mut Vec<u8>),
) -> u64 {
    let seed = seed();
    let budget = budget();
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let mut cases = 0u64;
    let mut deep = 0u64;
    loop {
        let done = match budget {
            Budget::Cases(n) => cases >= n,
            Budget::Time(limit) => started.elapsed() >= limit,
        };
        if done {
            break;
        }
        let mut input = Vec::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut generator = Gen {
                rng: &mut rng,
                seeds,
                deep: &mut deep,
            };
            case(&mut generator, &mut input);
        }));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!(
                "fuzz target {target}: case {cases} (PORTUNUS_FUZZ_SEED={seed}) failed: {message}\ninput: {}",
                show(&input)
            );
        }
        cases += 1;
    }
    eprintln!(
        "fuzz target {target}: {cases} cases, {deep} past the first parse, in {:.1} s (seed {seed})",
        started.elapsed().as_secs_f64()
    );
    assert!(
        cases > 0 || matches!(budget, Budget::Cases(0)),
        "no case ran"
    );
    cases
}

/// RFC 6749 §5.2: `error_description` uses only %x20-21 / %x23-5B / %x5D-7E.
pub fn is_rfc6749_text(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// A rejection of client input is a 4xx error whose `error_description` keeps to RFC
/// 6749 §5.2's characters (the sanitiser in `error.rs` guarantees it; this checks it).
pub fn check_rejection(err: &OAuth2Error) {
    assert!(
        (400..500).contains(&err.status()),
        "client input answered {} ({err})",
        err.status()
    );
    let description = err.description();
    assert!(
        is_rfc6749_text(&description),
        "error_description outside RFC 6749 §5.2: {description:?}"
    );
}

/// Seeds from text.
pub fn seeds(texts: &[&str]) -> Vec<Vec<u8>> {
    texts.iter().map(|t| t.as_bytes().to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_reports_a_panicking_target() {
        let result = catch_unwind(|| {
            run("always-panics", &seeds(&["x"]), |_, _| panic!("boom"));
        });
        let message = result
            .err()
            .and_then(|p| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("always-panics") && message.contains("boom"),
            "{message}"
        );
    }

    #[test]
    fn mutations_change_inputs_and_stay_bounded() {
        let mut rng = StdRng::seed_from_u64(1);
        let seeds = seeds(&["client_id=a&scope=openid"]);
        let mut deep = 0;
        let mut generator = Gen {
            rng: &mut rng,
            seeds: &seeds,
            deep: &mut deep,
        };
        let mut changed = 0;
        for _ in 0..1_000 {
            let input = generator.mutated();
            assert!(input.len() <= MAX_INPUT);
            if input != seeds[0] {
                changed += 1;
            }
        }
        assert!(
            changed > 900,
            "only {changed} of 1000 cases differ from the seed"
        );
    }

    #[test]
    fn rfc6749_text_excludes_quote_backslash_and_non_ascii() {
        assert!(is_rfc6749_text(
            "The request is missing a parameter: 'x' [1]."
        ));
        assert!(!is_rfc6749_text("a \"quoted\" value"));
        assert!(!is_rfc6749_text("back\\slash"));
        assert!(!is_rfc6749_text("RFC 6749 §5.2"));
        assert!(!is_rfc6749_text("tab\there"));
    }
}
