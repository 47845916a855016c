//! Times `Types::cdef` on one header, for python/benchmarks/bench_cdef.py.
//!
//! ```text
//! cargo run --release -p rffi-types --example cdef_bench -- HEADER [ROUNDS]
//! ```
//!
//! Each round declares the whole header into a fresh `Types` (dropping it is
//! not timed, as cffi's `FFI` outlives its `cdef`). Prints one line:
//! `rffi-types cdef best_ms=<f> median_ms=<f> rounds=<n> lines=<n>`.

use rffi_types::{CdefOptions, Types};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: cdef_bench HEADER [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = match args.next().map(|r| r.parse()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("ROUNDS must be a positive integer");
            return ExitCode::from(2);
        }
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut times_ms = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let mut types = Types::new();
        let result = types.cdef(&source, &CdefOptions::default());
        times_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        if let Err(e) = result {
            eprintln!("cdef failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    times_ms.sort_by(f64::total_cmp);
    let best = times_ms[0];
    let median = times_ms[times_ms.len() / 2];
    println!(
        "rffi-types cdef best_ms={best:.3} median_ms={median:.3} rounds={rounds} lines={}",
        source.lines().count()
    );
    ExitCode::SUCCESS
}
