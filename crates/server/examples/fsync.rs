//! The disk's durable-write ceiling for BENCHMARKS.md: a loop of one 4 KiB `pwrite` + `fdatasync`
//! into a preallocated 4 MiB file in DIR, round the file like SQLite's write-ahead log reuses its
//! frames (overwrites need no size change, so this is the cheap case of fsync); prints writes/s.
//! `fsync [DIR] [SECONDS]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

const FILE: u64 = 4 << 20;
const FRAME: usize = 4096;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let secs: f64 = args.next().map_or(3.0, |s| s.parse().unwrap());
    let path = dir.join("fsync-loop.bin");
    let file = std::fs::File::create(&path).unwrap();
    let frame = vec![7u8; FRAME];
    for off in (0..FILE).step_by(FRAME) {
        file.write_all_at(&frame, off).unwrap();
    }
    file.sync_all().unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(secs) {
        file.write_all_at(&frame, (n * FRAME as u64) % FILE)
            .unwrap();
        file.sync_data().unwrap();
        n += 1;
    }
    println!("{:.0}", n as f64 / start.elapsed().as_secs_f64());
    let _ = std::fs::remove_file(path);
}
