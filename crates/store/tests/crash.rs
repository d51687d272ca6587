//! Crash test, on SQLite and on PostgreSQL: a writer process appends events one per transaction
//! and prints each acknowledged `seq`; it is killed (SIGKILL on unix) mid-burst, the database is
//! reopened, and every acknowledged event must be there, with the state equal to the fold of the
//! log.
//!
//! The writer is this very test binary, re-run with `CRASH_WRITER_DB` set (see `writer_child`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use miniperm_core::catalogue::OsPermission;
use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via};
use miniperm_store::ConsentStore;

mod common;

const ENV_DB: &str = "CRASH_WRITER_DB";
const ENV_SEED: &str = "CRASH_WRITER_SEED";
const ROUNDS: u64 = 24;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_event(rng: &mut Rng, i: u64) -> ConsentEvent {
    let meta = EventMeta {
        at: i as i64,
        user: ["alice", "bob"][rng.below(2)].to_string(),
        app: ["wxdemo", "wx2", "wx3"][rng.below(3)].to_string(),
        channel: Channel::Release,
        profile: "wechat".into(),
    };
    let values = [Value::Unset, Value::Granted, Value::Denied];
    let (subject, via) = match rng.below(10) {
        0 => (Subject::All, [Via::Reset, Via::Remove][rng.below(2)]),
        1 => (Subject::Os(OsPermission::ALL[rng.below(8)]), Via::Os),
        _ => (
            Subject::Scope(Scope::ALL[rng.below(Scope::COUNT)]),
            [Via::Prompt, Via::Settings, Via::Host][rng.below(3)],
        ),
    };
    ConsentEvent::new(
        &meta,
        Change {
            subject,
            from: values[rng.below(3)],
            to: values[rng.below(3)],
            via,
            gesture: rng.below(2) == 0,
            api: Some("authorize".into()),
            notice: None,
        },
    )
}

/// The writer. A no-op when run as an ordinary test.
#[test]
fn writer_child() {
    let Ok(target) = std::env::var(ENV_DB) else {
        return;
    };
    let seed: u64 = std::env::var(ENV_SEED)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut store = common::open(&common::parse_target(&target));
    let mut out = std::io::stdout().lock();
    for i in 0..1_000_000u64 {
        // Mostly one event per transaction; now and then a group commit of several batches.
        let acked: Vec<u64> = if rng.below(8) == 0 {
            let batches = (0..1 + rng.below(4))
                .map(|_| {
                    (0..1 + rng.below(3))
                        .map(|_| random_event(&mut rng, i))
                        .collect()
                })
                .collect();
            store
                .append_batches(batches)
                .expect("append_batches")
                .into_iter()
                .flatten()
                .map(|e| e.seq)
                .collect()
        } else {
            let e = random_event(&mut rng, i);
            store
                .append(vec![e])
                .expect("append")
                .iter()
                .map(|e| e.seq)
                .collect()
        };
        for seq in acked {
            writeln!(out, "ack {seq}").expect("stdout");
        }
        out.flush().expect("stdout");
    }
}

#[test]
fn acknowledged_events_survive_sigkill() {
    if std::env::var_os(ENV_DB).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, target) in common::targets("acknowledged_events_survive_sigkill", dir.path()) {
        rounds(name, &common::target_string(&target));
    }
}

fn rounds(name: &str, path: &str) {
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut acked_total = BTreeSet::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["writer_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(ENV_DB, path)
            .env(ENV_SEED, (round + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let want = 3 + (round * 37 % 60) as usize;
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(seq) = line.strip_prefix("ack ") {
                acked.push(seq.parse::<u64>().unwrap());
                if acked.len() >= want {
                    break;
                }
            }
        }
        assert!(
            acked.len() >= want,
            "{name} round {round}: writer stopped after {} acks",
            acked.len()
        );
        // Still writing: killed mid-burst.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "round {round}: killed, not finished"
            );
        }
        assert!(!status.success());

        let mut store = common::open(&common::parse_target(path));
        store.verify().unwrap();
        let mut present = BTreeSet::new();
        for (user, app) in store.pairs().unwrap() {
            let log = store.log(&user, &app).unwrap();
            assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
            present.extend(log.iter().map(|e| e.seq));
        }
        acked_total.extend(acked);
        let lost: Vec<&u64> = acked_total.difference(&present).collect();
        assert!(
            lost.is_empty(),
            "{name} round {round}: acknowledged but lost: {lost:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "crash test took too long"
        );
    }
    assert!(acked_total.len() as u64 >= ROUNDS * 3);
}
