//! A run's transcript ([`Transcript`]): its events in order, the part written before the run's
//! last pause shared with the branch it was resumed from.
//!
//! The explorer resumes one branch with each of its answers: every resumed run starts with the
//! events the branch had, and a path's transcript is that prefix plus its own events. Kept as
//! frozen, reference-counted segments, the prefix costs a resumed run (and the branch's copy of
//! the host's state) a few pointer copies instead of a deep copy of every event and its JSON,
//! and the explorer reads a path's events without materialising them.

use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::event::Event;

/// The events of a [`Transcript`], in order.
pub type Iter<'a> = std::iter::Chain<
    std::iter::FlatMap<
        std::slice::Iter<'a, Arc<Vec<Event>>>,
        std::slice::Iter<'a, Event>,
        fn(&'a Arc<Vec<Event>>) -> std::slice::Iter<'a, Event>,
    >,
    std::slice::Iter<'a, Event>,
>;

/// A run's events, in order: frozen segments (written before a pause, shared with the branch
/// and the other runs resumed from it) and the events written since.
#[derive(Clone, Default)]
pub struct Transcript {
    frozen: Vec<Arc<Vec<Event>>>,
    /// Events in `frozen`.
    frozen_len: usize,
    own: Vec<Event>,
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript::default()
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.frozen_len + self.own.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends an event.
    pub fn push(&mut self, ev: Event) {
        self.own.push(ev);
    }

    /// Puts `ev` first (the launch, written when a run's starting state is known).
    pub(crate) fn push_front(&mut self, ev: Event) {
        if self.frozen.is_empty() {
            self.own.insert(0, ev);
        } else {
            let mut own = vec![ev];
            for seg in self.frozen.drain(..) {
                own.extend(seg.iter().cloned());
            }
            own.append(&mut self.own);
            self.own = own;
            self.frozen_len = 0;
        }
    }

    /// Makes every event so far part of the shared prefix: a clone from here on shares them.
    pub(crate) fn freeze(&mut self) {
        if !self.own.is_empty() {
            let seg = Arc::new(std::mem::take(&mut self.own));
            self.frozen_len += seg.len();
            self.frozen.push(seg);
        }
    }

    /// The events, in order.
    pub fn iter(&self) -> Iter<'_> {
        fn segment(s: &Arc<Vec<Event>>) -> std::slice::Iter<'_, Event> {
            s.iter()
        }
        let frozen: fn(&Arc<Vec<Event>>) -> std::slice::Iter<'_, Event> = segment;
        self.frozen.iter().flat_map(frozen).chain(self.own.iter())
    }

    /// The `i`th event.
    pub fn get(&self, i: usize) -> Option<&Event> {
        if i >= self.frozen_len {
            return self.own.get(i - self.frozen_len);
        }
        let mut i = i;
        for seg in &self.frozen {
            if i < seg.len() {
                return seg.get(i);
            }
            i -= seg.len();
        }
        None
    }

    pub fn first(&self) -> Option<&Event> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&Event> {
        self.own
            .last()
            .or_else(|| self.frozen.last().and_then(|s| s.last()))
    }

    /// References to the events, in order: a slice to index without copying an event.
    pub fn refs(&self) -> Vec<&Event> {
        let mut v = Vec::with_capacity(self.len());
        v.extend(self.iter());
        v
    }

    /// The events as an owned list (the shared ones copied).
    pub fn to_vec(&self) -> Vec<Event> {
        self.iter().cloned().collect()
    }

    /// The events as an owned list: moved when nothing is shared.
    pub fn into_vec(self) -> Vec<Event> {
        if self.frozen.is_empty() {
            return self.own;
        }
        let mut v = Vec::with_capacity(self.len());
        for seg in self.frozen {
            match Arc::try_unwrap(seg) {
                Ok(b) => v.extend(b),
                Err(shared) => v.extend(shared.iter().cloned()),
            }
        }
        v.extend(self.own);
        v
    }
}

impl From<Vec<Event>> for Transcript {
    fn from(own: Vec<Event>) -> Transcript {
        Transcript {
            frozen: Vec::new(),
            frozen_len: 0,
            own,
        }
    }
}

impl FromIterator<Event> for Transcript {
    fn from_iter<I: IntoIterator<Item = Event>>(it: I) -> Transcript {
        Transcript::from(it.into_iter().collect::<Vec<_>>())
    }
}

impl std::ops::Index<usize> for Transcript {
    type Output = Event;
    /// Panics past the end, as a slice does (callers index below `len()`).
    #[allow(clippy::panic)]
    fn index(&self, i: usize) -> &Event {
        match self.get(i) {
            Some(e) => e,
            None => panic!("event {i} of a transcript of {}", self.len()),
        }
    }
}

impl<'a> IntoIterator for &'a Transcript {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Transcript {
    type Item = Event;
    type IntoIter = std::vec::IntoIter<Event>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl PartialEq for Transcript {
    fn eq(&self, o: &Transcript) -> bool {
        self.len() == o.len() && self.iter().eq(o.iter())
    }
}

impl PartialEq<Vec<Event>> for Transcript {
    fn eq(&self, o: &Vec<Event>) -> bool {
        self.len() == o.len() && self.iter().eq(o.iter())
    }
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Serialised as the list of its events (the transcript's JSON is DESIGN's wire format).
impl Serialize for Transcript {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ev(n: usize) -> Event {
        Event::Navigate {
            action: "navigateTo".into(),
            url: format!("/p{n}"),
        }
    }

    fn log(frozen_at: &[usize], n: usize) -> Transcript {
        let mut t = Transcript::new();
        for i in 0..n {
            if frozen_at.contains(&i) {
                t.freeze();
            }
            t.push(ev(i));
        }
        t
    }

    #[test]
    fn a_transcript_reads_as_the_list_whatever_is_frozen() {
        let want: Vec<Event> = (0..7).map(ev).collect();
        for cuts in [&[][..], &[0], &[3], &[1, 2, 5], &[0, 6], &[7]] {
            let mut t = log(cuts, 7);
            if cuts.contains(&7) {
                t.freeze();
            }
            assert_eq!(t.len(), 7);
            assert_eq!(t.to_vec(), want, "{cuts:?}");
            assert_eq!(t.iter().rev().cloned().collect::<Vec<_>>(), {
                let mut w = want.clone();
                w.reverse();
                w
            });
            for (i, e) in want.iter().enumerate() {
                assert_eq!(t.get(i), Some(e));
                assert_eq!(&t[i], e);
            }
            assert_eq!(t.get(7), None);
            assert_eq!(t.first(), want.first());
            assert_eq!(t.last(), want.last());
            assert_eq!(t, want);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                serde_json::to_string(&want).unwrap()
            );
            assert_eq!(t.clone().into_vec(), want);
        }
    }

    #[test]
    fn a_clone_shares_the_frozen_part_and_grows_on_its_own() {
        let mut a = log(&[], 3);
        a.freeze();
        let mut b = a.clone();
        a.push(ev(10));
        b.push(ev(20));
        assert_eq!(a.to_vec(), vec![ev(0), ev(1), ev(2), ev(10)]);
        assert_eq!(b.to_vec(), vec![ev(0), ev(1), ev(2), ev(20)]);
        let mut c = b.clone();
        c.push_front(ev(99));
        assert_eq!(c.to_vec(), vec![ev(99), ev(0), ev(1), ev(2), ev(20)]);
        assert_eq!(b.len(), 4);
    }
}
