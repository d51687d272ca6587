//! A session's event feed: what `GET /sim/sessions/{id}/events` streams (server-sent events).
//!
//! Every step of a session publishes the new tail of the current run's transcript, one
//! `transcript` event per transcript event, then one `state` event; each carries the next id
//! of the session (1, 2, …). Replays are deterministic, so a step's run repeats the previous
//! one up to where the new input takes effect: only the events past the common prefix are sent,
//! and `n` (the event's index in the run) tells the page where they go (a run that awaited an
//! answer ends with `end`, which the answered run replaces). A new run (restart, clear) is sent
//! from `n` = 0. The last [`FEED_EVENTS`] events are kept for reconnects (`Last-Event-ID`); a
//! client with no id, or one older than the kept events, gets a snapshot instead: the current
//! run's transcript from `n` = 0 and the state, where only the state carries the id.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::watch;

/// Most events a session keeps for clients that reconnect.
pub const FEED_EVENTS: usize = 1_024;

/// One transcript event of a run: its JSON line (DESIGN's `--json` transcript) and its line in
/// the human transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub json: String,
    pub text: String,
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    /// None on the events of a snapshot but its last.
    pub id: Option<u64>,
    /// `transcript`, `state` or `end`.
    pub kind: &'static str,
    pub data: String,
}

#[derive(Debug, Default)]
struct Inner {
    items: VecDeque<Item>,
    last_id: u64,
    /// The published run's transcript and state (snapshots and the next diff start from them).
    timeline: Vec<Line>,
    state: String,
    /// Why the feed ended (`deleted`, `expired`, `evicted`).
    closed: Option<&'static str>,
}

/// What a client gets next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Batch {
    pub items: Vec<Item>,
    /// The id the client has seen after these items.
    pub cursor: u64,
    pub closed: Option<&'static str>,
}

#[derive(Debug)]
pub(crate) struct Feed {
    inner: Mutex<Inner>,
    /// Bumped on every publish and on close.
    changed: watch::Sender<u64>,
}

fn transcript_data(n: usize, line: &Line) -> String {
    let text = serde_json::to_string(&line.text).unwrap_or_else(|_| "\"\"".into());
    format!("{{\"n\":{n},\"event\":{},\"text\":{text}}}", line.json)
}

impl Feed {
    pub fn new() -> Feed {
        Feed {
            inner: Mutex::new(Inner::default()),
            changed: watch::Sender::new(0),
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Publishes a step: the run's transcript past what the feed already holds (all of it when
    /// `new_run`), then `state`.
    pub fn publish(&self, timeline: &[Line], state: String, new_run: bool) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.closed.is_some() {
            return;
        }
        let from = if new_run {
            0
        } else {
            inner
                .timeline
                .iter()
                .zip(timeline)
                .take_while(|(a, b)| a == b)
                .count()
        };
        for (n, line) in timeline.iter().enumerate().skip(from) {
            inner.last_id += 1;
            let id = Some(inner.last_id);
            inner.items.push_back(Item {
                id,
                kind: "transcript",
                data: transcript_data(n, line),
            });
        }
        inner.last_id += 1;
        let id = Some(inner.last_id);
        inner.items.push_back(Item {
            id,
            kind: "state",
            data: state.clone(),
        });
        while inner.items.len() > FEED_EVENTS {
            inner.items.pop_front();
        }
        inner.timeline = timeline.to_vec();
        inner.state = state;
        let last = inner.last_id;
        drop(inner);
        self.changed.send_replace(last);
    }

    /// Ends the feed: clients get what is left, then an `end` event with `reason`.
    pub fn close(&self, reason: &'static str) {
        if let Ok(mut inner) = self.inner.lock()
            && inner.closed.is_none()
        {
            inner.closed = Some(reason);
        }
        self.changed.send_modify(|_| {});
    }

    /// The events after `cursor` (None: a snapshot). A cursor the feed no longer holds, or one
    /// it never gave, gets a snapshot too.
    pub fn since(&self, cursor: Option<u64>) -> Batch {
        let Ok(inner) = self.inner.lock() else {
            return Batch {
                items: Vec::new(),
                cursor: cursor.unwrap_or(0),
                closed: Some("unavailable"),
            };
        };
        let oldest = inner.items.front().and_then(|i| i.id).unwrap_or(1);
        let items = match cursor {
            Some(c) if c <= inner.last_id && c + 1 >= oldest => inner
                .items
                .iter()
                .filter(|i| i.id.is_some_and(|id| id > c))
                .cloned()
                .collect(),
            _ if inner.last_id == 0 => Vec::new(),
            _ => {
                let mut out: Vec<Item> = inner
                    .timeline
                    .iter()
                    .enumerate()
                    .map(|(n, line)| Item {
                        id: None,
                        kind: "transcript",
                        data: transcript_data(n, line),
                    })
                    .collect();
                out.push(Item {
                    id: Some(inner.last_id),
                    kind: "state",
                    data: inner.state.clone(),
                });
                out
            }
        };
        Batch {
            items,
            cursor: inner.last_id,
            closed: inner.closed,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn line(s: &str) -> Line {
        Line {
            json: format!("{{\"type\":\"{s}\"}}"),
            text: s.to_string(),
        }
    }

    fn lines(names: &[&str]) -> Vec<Line> {
        names.iter().map(|s| line(s)).collect()
    }

    fn kinds(b: &Batch) -> Vec<(Option<u64>, &'static str)> {
        b.items.iter().map(|i| (i.id, i.kind)).collect()
    }

    #[test]
    fn a_step_sends_only_the_tail_past_the_common_prefix() {
        let feed = Feed::new();
        feed.publish(&lines(&["launch", "page", "end"]), "{}".into(), true);
        let first = feed.since(Some(0));
        assert_eq!(first.items.len(), 4);
        assert_eq!(first.cursor, 4);
        // The answered run replaces the `end` at n = 2.
        feed.publish(
            &lines(&["launch", "page", "answer", "end"]),
            "{}".into(),
            false,
        );
        let next = feed.since(Some(4));
        assert_eq!(
            kinds(&next),
            [
                (Some(5), "transcript"),
                (Some(6), "transcript"),
                (Some(7), "state")
            ]
        );
        assert_eq!(
            next.items[0].data,
            r#"{"n":2,"event":{"type":"answer"},"text":"answer"}"#
        );
        // A new run starts over at n = 0 even where it repeats the old one.
        feed.publish(&lines(&["launch"]), "{}".into(), true);
        let restart = feed.since(Some(7));
        assert_eq!(restart.items.len(), 2);
        assert!(restart.items[0].data.starts_with(r#"{"n":0,"#));
    }

    #[test]
    fn no_cursor_or_a_lost_one_gets_a_snapshot_with_one_id() {
        let feed = Feed::new();
        assert!(feed.since(None).items.is_empty());
        for i in 0..FEED_EVENTS {
            let names = ["launch"; 3];
            feed.publish(&lines(&names), format!("{{\"v\":{i}}}"), true);
        }
        let last = FEED_EVENTS as u64 * 4;
        for cursor in [None, Some(1), Some(last + 1)] {
            let snap = feed.since(cursor);
            assert_eq!(
                kinds(&snap),
                [
                    (None, "transcript"),
                    (None, "transcript"),
                    (None, "transcript"),
                    (Some(last), "state")
                ],
                "{cursor:?}"
            );
            assert_eq!(snap.items[3].data, format!("{{\"v\":{}}}", FEED_EVENTS - 1));
        }
        // The kept events still resume without a snapshot, and the latest id gets nothing.
        assert_eq!(feed.since(Some(last - 2)).items.len(), 2);
        assert!(feed.since(Some(last)).items.is_empty());
    }

    #[test]
    fn a_closed_feed_says_why_and_takes_no_more() {
        let feed = Feed::new();
        let mut rx = feed.subscribe();
        feed.publish(&lines(&["launch"]), "{}".into(), true);
        assert!(rx.has_changed().unwrap());
        rx.borrow_and_update();
        feed.close("deleted");
        assert!(rx.has_changed().unwrap());
        feed.publish(&lines(&["launch"]), "{}".into(), true);
        let b = feed.since(Some(2));
        assert!(b.items.is_empty());
        assert_eq!(b.closed, Some("deleted"));
    }
}
