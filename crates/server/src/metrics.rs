//! Prometheus text-format metrics, kept by hand: request counts and latency histograms per
//! (method, route, status), decisions by outcome, group-commit batch sizes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

const LATENCY_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 256.0];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    n: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.len() != bounds.len() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, b) in bounds.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.n += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in bounds.iter().enumerate() {
            let c = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.n);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.n);
    }
}

#[derive(Default)]
struct Inner {
    /// By route, then method, then status (nested so that counting allocates nothing).
    requests: BTreeMap<String, BTreeMap<String, BTreeMap<u16, Histogram>>>,
    decisions: BTreeMap<String, u64>,
    batches: Histogram,
    /// Repeats of keyed requests answered from their receipt, by route kind.
    replays: BTreeMap<&'static str, u64>,
    /// Group commits that failed (their callers got an error; the outcome may be unknown).
    failed_commits: u64,
}

/// The service's counters. One mutex: updates are a few map operations.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut m) = self.inner.lock() else {
            return;
        };
        if let Some(h) = m
            .requests
            .get_mut(route)
            .and_then(|r| r.get_mut(method))
            .and_then(|r| r.get_mut(&status))
        {
            h.observe(&LATENCY_BUCKETS, seconds);
            return;
        }
        m.requests
            .entry(route.to_string())
            .or_default()
            .entry(method.to_string())
            .or_default()
            .entry(status)
            .or_default()
            .observe(&LATENCY_BUCKETS, seconds);
    }

    /// One decision answered, by outcome (`ok`, `prompt`, or the fail's kebab name).
    pub fn decision(&self, outcome: &str) {
        if let Ok(mut m) = self.inner.lock() {
            match m.decisions.get_mut(outcome) {
                Some(n) => *n += 1,
                None => {
                    m.decisions.insert(outcome.to_string(), 1);
                }
            }
        }
    }

    /// A repeat answered from the receipt of the first (`prompt`, `key`).
    pub fn replay(&self, kind: &'static str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.replays.entry(kind).or_default() += 1;
        }
    }

    /// A group commit failed.
    pub fn failed_commit(&self) {
        if let Ok(mut m) = self.inner.lock() {
            m.failed_commits += 1;
        }
    }

    pub fn batch(&self, jobs: usize) {
        if let Ok(mut m) = self.inner.lock() {
            m.batches.observe(&BATCH_BUCKETS, jobs as f64);
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP miniperm_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE miniperm_http_requests_total counter\n");
        let all = || {
            m.requests.iter().flat_map(|(route, r)| {
                r.iter().flat_map(move |(method, r)| {
                    r.iter().map(move |(status, h)| (method, route, status, h))
                })
            })
        };
        for (method, route, status, h) in all() {
            let _ = writeln!(
                out,
                "miniperm_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                h.n
            );
        }
        out.push_str("# HELP miniperm_http_request_duration_seconds Time to answer.\n");
        out.push_str("# TYPE miniperm_http_request_duration_seconds histogram\n");
        for (method, route, status, h) in all() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
            h.render(
                &mut out,
                "miniperm_http_request_duration_seconds",
                &labels,
                &LATENCY_BUCKETS,
            );
        }
        out.push_str("# HELP miniperm_decisions_total Authorize decisions by outcome.\n");
        out.push_str("# TYPE miniperm_decisions_total counter\n");
        for (outcome, n) in &m.decisions {
            let _ = writeln!(out, "miniperm_decisions_total{{outcome=\"{outcome}\"}} {n}");
        }
        out.push_str("# HELP miniperm_commit_batch_jobs Decisions per group commit.\n");
        out.push_str("# TYPE miniperm_commit_batch_jobs histogram\n");
        m.batches
            .render(&mut out, "miniperm_commit_batch_jobs", "", &BATCH_BUCKETS);
        out.push_str(
            "# HELP miniperm_commit_failures_total Group commits that failed (their callers got an error; retries learn the outcome from receipts).\n",
        );
        out.push_str("# TYPE miniperm_commit_failures_total counter\n");
        let _ = writeln!(out, "miniperm_commit_failures_total {}", m.failed_commits);
        out.push_str(
            "# HELP miniperm_replays_total Repeated requests answered from the receipt of the first (kind: prompt, key).\n",
        );
        out.push_str("# TYPE miniperm_replays_total counter\n");
        for kind in ["prompt", "key"] {
            let n = m.replays.get(kind).copied().unwrap_or(0);
            let _ = writeln!(out, "miniperm_replays_total{{kind=\"{kind}\"}} {n}");
        }
        out
    }
}
