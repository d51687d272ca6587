//! The client and the checker of the failover trial (`.ci/failover.sh`, SCALING.md "Failover").
//!
//! `failover run ADDR CLIENTS JOURNAL STOPFILE`: CLIENTS threads make decisions through the
//! service at ADDR until STOPFILE exists. Each flow is one fresh user: `authorize`
//! scope.camera (202), then the prompt's answer (allow or deny); every fourth user then
//! removes the scope with a keyed DELETE, every other fourth makes a keyed `authorize` of a
//! retired scope (first use records granted). A request that gets a 5xx, a 409 "the write
//! failed" or no answer at all is repeated as it was (same prompt and answer, same
//! `Idempotency-Key`) until it gets its 200, for at most 120 s; the 200 must carry the body
//! the decision gives. One JSON line per flow goes to JOURNAL, with every attempt's time and
//! status.
//!
//! `failover check DATABASE_URL JOURNAL KILL_MS MODE BOUND_MS`: reads the store of the new
//! primary and the journal, prints the figures, and exits 1 when an assertion fails:
//! * every acknowledged decision is in the store (MODE `sync`, and `steady`: a run without a
//!   kill, whose KILL_MS and BOUND_MS are ignored; MODE `async` counts and lists the lost ones
//!   instead of failing: that is what the trial shows);
//! * every user's log is a consistent chain (each event's `from` is the previous `to` of its
//!   subject) holding no decision twice, and the store's state is the fold of its log;
//! * every request that got a 5xx (or no answer) got its 200 from a repeat, with the body of
//!   the committed decision;
//! * the service answered a decision sent after the kill (KILL_MS, milliseconds since the
//!   epoch) within BOUND_MS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use miniperm_core::{Scope, Subject, Value, Via};
use miniperm_store::{ConsentKey, PgStore};
use serde_json::{Value as Json, json};

const APP: &str = "wxfailover";
const DENY: &str = r#"{"errMsg":"authorize:fail auth deny","errno":103}"#;
const OK: &str = r#"{"errMsg":"authorize:ok"}"#;
/// How long one request is repeated before the flow is given up (and the trial fails).
const GIVE_UP: Duration = Duration::from_secs(120);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("run") if args.len() == 5 => {
            run(
                args[1].parse().expect("ADDR"),
                args[2].parse().expect("CLIENTS"),
                &args[3],
                &args[4],
            );
            0
        }
        Some("check") if args.len() == 6 => check(
            &args[1],
            &args[2],
            args[3].parse().expect("KILL_MS"),
            &args[4],
            args[5].parse().expect("BOUND_MS"),
        ),
        _ => {
            eprintln!(
                "usage: failover run ADDR CLIENTS JOURNAL STOPFILE | failover check DATABASE_URL JOURNAL KILL_MS sync|async|steady BOUND_MS"
            );
            2
        }
    };
    std::process::exit(code);
}

/// One HTTP/1.1 request on its own connection: (status, body), or `None` when no answer came
/// (refused, reset, timed out).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let key = key.map_or(String::new(), |k| format!("Idempotency-Key: {k}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: f\r\nConnection: close\r\n{key}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
    let mut len = None;
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().ok();
        }
    }
    let mut buf = Vec::new();
    match len {
        Some(n) => {
            buf.resize(n, 0);
            r.read_exact(&mut buf).ok()?;
        }
        None => {
            r.read_to_end(&mut buf).ok()?;
        }
    }
    Some((status, String::from_utf8_lossy(&buf).into_owned()))
}

/// Whether an answer says "repeat me": no answer, a 5xx, or a write that failed.
fn repeatable(answer: &Option<(u16, String)>) -> bool {
    match answer {
        None => true,
        Some((st, body)) => *st >= 500 || (*st == 409 && body.contains("the write failed")),
    }
}

/// One request repeated as it was until it is not [`repeatable`]; every attempt is recorded
/// as `[sent_ms, done_ms, status]` (status 0: no answer).
fn until_answered(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
    attempts: &mut Vec<[i64; 3]>,
) -> Option<(u16, String)> {
    let start = Instant::now();
    loop {
        let sent = now_ms();
        let answer = request(addr, method, path, key, body);
        attempts.push([
            sent,
            now_ms(),
            answer.as_ref().map_or(0, |a| i64::from(a.0)),
        ]);
        if !repeatable(&answer) || start.elapsed() > GIVE_UP {
            return answer;
        }
        // A short pause between repeats (not a wait for anything: the next repeat asks).
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(addr: SocketAddr, clients: usize, journal: &str, stop: &str) {
    let out = Arc::new(Mutex::new(std::io::BufWriter::new(
        std::fs::File::create(journal).expect("journal"),
    )));
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let (out, stop) = (out.clone(), stop.to_string());
            std::thread::spawn(move || {
                let mut i = 0usize;
                while !std::path::Path::new(&stop).exists() {
                    i += 1;
                    let line = flow(addr, &format!("c{t}-{i}"), t + i);
                    let mut o = out.lock().unwrap();
                    writeln!(o, "{line}").unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    out.lock().unwrap().flush().unwrap();
}

/// One user's flow; returns its journal line.
fn flow(addr: SocketAddr, user: &str, n: usize) -> Json {
    let base = format!("/v1/apps/{APP}/users/{user}");
    let mut j = json!({"user": user});
    let mut attempts = Vec::new();
    let asked = until_answered(
        addr,
        "POST",
        &format!("{base}/authorize"),
        None,
        r#"{"scope":"scope.camera"}"#,
        &mut attempts,
    );
    j["authorize"] = json!(attempts);
    let id = match &asked {
        Some((202, body)) => serde_json::from_str::<Json>(body)
            .ok()
            .and_then(|v| v["prompt"]["id"].as_str().map(str::to_string)),
        _ => None,
    };
    let Some(id) = id else {
        j["error"] = json!(format!("authorize answered {asked:?}"));
        return j;
    };
    let allow = n.is_multiple_of(2);
    let (word, want) = if allow { ("allow", OK) } else { ("deny", DENY) };
    j["answer"] = json!(word);
    let mut attempts = Vec::new();
    let answered = until_answered(
        addr,
        "POST",
        &format!("/v1/prompts/{id}"),
        None,
        &format!(r#"{{"answer":"{word}"}}"#),
        &mut attempts,
    );
    j["answers"] = json!(attempts);
    match answered {
        Some((200, body)) if body == want => j["acked"] = json!(true),
        other => {
            j["error"] = json!(format!("answer {word} of {id} got {other:?}"));
            return j;
        }
    }
    match n % 4 {
        1 => {
            let mut attempts = Vec::new();
            let key = format!("del-{user}");
            let r = until_answered(
                addr,
                "DELETE",
                &format!("{base}/setting/scope.camera"),
                Some(&key),
                "",
                &mut attempts,
            );
            j["deletes"] = json!(attempts);
            match r {
                Some((200, body)) if body.contains(r#""authSetting":{}"#) => {
                    j["deleted"] = json!(true)
                }
                other => j["error"] = json!(format!("delete got {other:?}")),
            }
        }
        3 => {
            let mut attempts = Vec::new();
            let key = format!("addr-{user}");
            let r = until_answered(
                addr,
                "POST",
                &format!("{base}/authorize"),
                Some(&key),
                r#"{"scope":"scope.address"}"#,
                &mut attempts,
            );
            j["addresses"] = json!(attempts);
            match r {
                Some((200, body)) if body == OK => j["address"] = json!(true),
                other => j["error"] = json!(format!("keyed authorize got {other:?}")),
            }
        }
        _ => {}
    }
    j
}

fn attempts(j: &Json, field: &str) -> Vec<[i64; 3]> {
    serde_json::from_value(j[field].clone()).unwrap_or_default()
}

fn check(url: &str, journal: &str, kill_ms: i64, mode: &str, bound_ms: i64) -> i32 {
    let mut failures: Vec<String> = Vec::new();
    let text = std::fs::read_to_string(journal).expect("journal");
    let flows: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line"))
        .collect();
    let mut store = PgStore::open(url).expect("the new primary");
    match store.verify() {
        Ok(n) => println!("check: state = fold(log) for all {n} (user, app) pairs"),
        Err(e) => failures.push(format!("verify: {e}")),
    }
    let (mut acked, mut lost, mut lost_users) = (0usize, 0usize, Vec::new());
    let (mut keyed_acked, mut keyed_lost) = (0usize, 0usize);
    let (mut failed_5xx, mut resolved) = (0usize, 0usize);
    let mut statuses: BTreeMap<i64, usize> = BTreeMap::new();
    let mut acks: Vec<i64> = Vec::new();
    for f in &flows {
        let user = f["user"].as_str().unwrap_or("?");
        if let Some(e) = f["error"].as_str() {
            failures.push(format!("{user}: {e}"));
        }
        for field in ["authorize", "answers", "deletes", "addresses"] {
            let a = attempts(f, field);
            for x in &a {
                *statuses.entry(x[2]).or_default() += 1;
            }
            if a.len() > 1 {
                failed_5xx += 1;
                // The client only stops repeating on a final answer: a 200 (checked above) or
                // an error recorded in `error`.
                if f["error"].is_null() {
                    resolved += 1;
                }
            }
            if field == "answers" {
                acks.extend(a.iter().filter(|x| x[2] == 200).map(|x| x[1]));
            }
        }
        let log = match store.log_in(ConsentKey {
            tenant: "dev",
            app: APP,
            user,
        }) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{user}: log: {e}"));
                continue;
            }
        };
        // A consistent chain: each event's `from` is its subject's previous `to`.
        let mut last: BTreeMap<String, Value> = BTreeMap::new();
        for e in &log {
            let k = e.scope.key();
            let prev = last.get(&k).copied().unwrap_or(Value::Unset);
            if e.from != prev {
                failures.push(format!(
                    "{user}: event {} says {k} was {} but it was {}",
                    e.seq,
                    e.from.as_str(),
                    prev.as_str()
                ));
            }
            last.insert(k, e.to);
        }
        let camera = |via: Via| {
            log.iter()
                .filter(|e| e.scope == Subject::Scope(Scope::Camera) && e.via == via)
                .count()
        };
        let prompts = camera(Via::Prompt);
        let removals = camera(Via::Host);
        let addresses = log
            .iter()
            .filter(|e| e.scope == Subject::Scope(Scope::Address))
            .count();
        if prompts > 1 || removals > 1 || addresses > 1 {
            failures.push(format!(
                "{user}: a decision made twice ({prompts} prompt answers, {removals} removals, {addresses} first uses)"
            ));
        }
        if f["acked"] == json!(true) {
            acked += 1;
            let want = if f["answer"] == "allow" {
                Value::Granted
            } else {
                Value::Denied
            };
            let found = log.iter().any(|e| {
                e.scope == Subject::Scope(Scope::Camera) && e.via == Via::Prompt && e.to == want
            });
            if !found {
                lost += 1;
                lost_users.push(user.to_string());
            }
        }
        for (field, n) in [("deleted", removals), ("address", addresses)] {
            if f[field] == json!(true) {
                keyed_acked += 1;
                if n != 1 {
                    keyed_lost += 1;
                    lost_users.push(format!("{user} ({field})"));
                }
            }
        }
    }
    acks.sort_unstable();
    let before = match mode {
        "steady" => acks.len(),
        _ => acks.iter().filter(|t| **t < kill_ms).count(),
    };
    // The outage: the longest time without an acknowledged answer that ends after the kill
    // (a dying primary's backends may still acknowledge a few commits just after it); the
    // service is back at its end.
    let outage = acks
        .windows(2)
        .filter(|w| w[1] >= kill_ms)
        .map(|w| (w[1] - w[0], w[0], w[1]))
        .max();
    let first = acks.first().copied().unwrap_or(kill_ms);
    match mode {
        "steady" => println!(
            "check: {} flows, {acked} acknowledged answers, {keyed_acked} acknowledged keyed requests",
            flows.len()
        ),
        _ => println!(
            "check: {} flows, {acked} acknowledged answers ({before} before the kill, at {:.0}/s; {} after), {keyed_acked} acknowledged keyed requests",
            flows.len(),
            before as f64 * 1000.0 / (kill_ms - first).max(1) as f64,
            acks.len() - before
        ),
    }
    println!("check: statuses of every attempt: {statuses:?} (0: no answer)");
    println!(
        "check: {failed_5xx} requests needed a repeat (a 5xx, a failed write or no answer); {resolved} got the committed result from it"
    );
    match outage {
        _ if mode == "steady" => {}
        Some((gap, from, to)) => {
            let back = to - kill_ms;
            println!(
                "check: the service acknowledged answers again {back} ms after the kill (bound {bound_ms} ms); none for {gap} ms, from {} ms after the kill",
                from - kill_ms
            );
            if back > bound_ms {
                failures.push(format!(
                    "the service answered again {back} ms after the kill, over the bound of {bound_ms} ms"
                ));
            }
        }
        None => failures.push("no answer was acknowledged after the kill".into()),
    }
    if resolved != failed_5xx {
        failures.push(format!(
            "{} repeated requests never got the committed result",
            failed_5xx - resolved
        ));
    }
    let lost_all = lost + keyed_lost;
    let what = match mode {
        "steady" => "lost (no kill)".to_string(),
        _ => format!("lost at the promotion ({mode} replication)"),
    };
    println!(
        "check: acknowledged decisions {what}: {lost_all} of {}{}",
        acked + keyed_acked,
        if lost_users.is_empty() {
            String::new()
        } else {
            format!(": {}", lost_users.join(", "))
        }
    );
    if mode != "async" && lost_all > 0 {
        failures.push(format!(
            "{lost_all} acknowledged decisions lost with synchronous replication"
        ));
    }
    for f in &failures {
        println!("FAILED: {f}");
    }
    if failures.is_empty() {
        println!("check: all assertions hold");
        0
    } else {
        1
    }
}
