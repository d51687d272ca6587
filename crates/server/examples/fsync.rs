//! The disk's durable-write ceiling for BENCHMARKS.md: a loop of 16-byte `write` + `fdatasync` on
//! a file in DIR for SECONDS; prints writes/s. `fsync [DIR] [SECONDS]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let secs: f64 = args.next().map_or(3.0, |s| s.parse().unwrap());
    let path = dir.join("fsync-loop.bin");
    let mut file = std::fs::File::create(&path).unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(secs) {
        file.write_all(b"0123456789abcdef").unwrap();
        file.sync_data().unwrap();
        n += 1;
    }
    println!("{:.0}", n as f64 / start.elapsed().as_secs_f64());
    let _ = std::fs::remove_file(path);
}
