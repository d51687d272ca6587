//! Which switches the explorer flips on a settings page (issue 19: answers vary only over facts
//! some path observed).
//!
//! A settings page lists every scope the mini-program asked for; flipping a switch that nothing
//! reads afterwards cannot change what the program does, only the consent it leaves behind. So
//! each settings page on a path (a [`Point`]: the page, at one place of one path prefix) is
//! answered "unchanged", and by flipping only the rows that matter there:
//! - the scope the trip to the settings page is about: the last scope the run read or an engine
//!   decision consulted before the page showed (what `no-retry-after-settings` judges);
//! - every scope some path through the page read or had consulted *after* it (found as the
//!   search goes: a path that ends reports what it observed, and rows it names become new
//!   answers at every settings page it passed).
//!
//! By induction, the runs below a page with an unobserved row flipped are the runs with it
//! unchanged, up to the consent left behind: none of them reads the row, or one of the runs
//! with it unchanged would have too. The rows are combined (unchanged first, then singles,
//! pairs, …) up to the runner's cap on answers per page.

use std::collections::BTreeSet;

use miniperm_core::{Scope, SettingChange, SettingsPage, Subject, UiAnswer};
use miniperm_runtime::{Observation, Observed};

/// The row a scope's switch sits in: background location shares the location row.
fn row_of(s: Scope) -> Scope {
    match s {
        Scope::UserLocationBackground => Scope::UserLocation,
        other => other,
    }
}

/// A scope row an observation names, if it is one a settings answer can flip: what the program
/// read or a decision consulted (the page showing a row is not the program looking at it).
fn observed_row(o: &Observation) -> Option<Scope> {
    match (o.subject, o.how) {
        (Subject::Scope(s), Observed::Read | Observed::Consulted) => Some(row_of(s)),
        _ => None,
    }
}

/// One settings page on one path prefix: its rows, the rows worth flipping so far and the
/// answers already given (or handed out) there.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    /// Each row's alternatives (the location row has up to three).
    rows: Vec<(Scope, Vec<SettingChange>)>,
    vary: BTreeSet<Scope>,
    tried: BTreeSet<String>,
    /// The index of the page's answer in the transcript: what is observed after it counts.
    at: usize,
    max: usize,
    /// A worker resumes this page itself and asks for new answers when it has run the ones it
    /// has ([`Point::untried`]); when false, the search queues them.
    pub(crate) held: bool,
}

impl Point {
    /// The page `page`, answered at transcript index `at`, on a run that observed `before` so
    /// far (only what was observed before `at` is read), with at most `max` answers.
    pub(crate) fn new(page: &SettingsPage, before: &[Observation], at: usize, max: usize) -> Point {
        let mut rows: Vec<(Scope, Vec<SettingChange>)> = Vec::new();
        for t in page.toggles() {
            let row = row_of(t.scope);
            match rows.iter_mut().find(|(r, _)| *r == row) {
                Some((_, alts)) => alts.push(t),
                None => rows.push((row, vec![t])),
            }
        }
        let about = before
            .iter()
            .filter(|o| o.after <= at)
            .rev()
            .filter_map(observed_row)
            .find(|s| rows.iter().any(|(r, _)| r == s));
        Point {
            rows,
            vary: about.into_iter().collect(),
            tried: BTreeSet::new(),
            at,
            max: max.max(1),
            held: false,
        }
    }

    /// Notes what a path through this page observed; true when a new row became worth flipping.
    pub(crate) fn observe(&mut self, observations: &[Observation]) -> bool {
        let mut grew = false;
        for s in observations
            .iter()
            .filter(|o| o.after > self.at)
            .filter_map(observed_row)
        {
            if self.rows.iter().any(|(r, _)| *r == s) {
                grew |= self.vary.insert(s);
            }
        }
        grew
    }

    /// Notes an answer given here (by a path's prefix, or its first choice).
    pub(crate) fn given(&mut self, answer: &str) {
        self.tried.insert(answer.to_string());
    }

    /// Whether [`Point::untried`] would give anything.
    pub(crate) fn has_untried(&self) -> bool {
        !self.clone().untried().is_empty()
    }

    /// The answers worth giving here that were not given yet (unchanged first, then single
    /// flips, then larger combinations), within the cap; each is noted as given.
    pub(crate) fn untried(&mut self) -> Vec<UiAnswer> {
        let mut combos: Vec<Vec<SettingChange>> = vec![Vec::new()];
        for (row, alts) in &self.rows {
            if !self.vary.contains(row) {
                continue;
            }
            let mut next = Vec::with_capacity(combos.len() * (alts.len() + 1));
            for c in &combos {
                next.push(c.clone());
                for t in alts {
                    let mut c2 = c.clone();
                    c2.push(*t);
                    next.push(c2);
                }
            }
            combos = next;
            if combos.len() > self.max * 4 {
                break;
            }
        }
        combos.sort_by_key(Vec::len);
        let mut out = Vec::new();
        for c in combos {
            if self.tried.len() >= self.max {
                break;
            }
            let a = UiAnswer::Settings(c);
            if self.tried.insert(a.to_string()) {
                out.push(a);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use miniperm_core::{AppState, Manifest, Value, Via};

    fn page(denied: &[Scope]) -> SettingsPage {
        let mut st = AppState::default();
        for s in denied {
            st.apply_change(Subject::Scope(*s), Value::Denied, Via::Prompt, 0);
        }
        SettingsPage::new(&st, &Manifest::default())
    }

    fn obs(after: usize, s: Scope, how: Observed) -> Observation {
        Observation {
            after,
            subject: Subject::Scope(s),
            value: Value::Denied,
            how,
        }
    }

    fn strings(a: Vec<UiAnswer>) -> Vec<String> {
        a.into_iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_page_is_about_the_last_scope_consulted_before_it() {
        let p = page(&[Scope::Camera, Scope::Record]);
        let before = [
            obs(1, Scope::Camera, Observed::Consulted),
            obs(4, Scope::Record, Observed::Consulted),
            // the page showing its rows is not the program looking
            obs(6, Scope::Camera, Observed::Shown),
        ];
        let mut pt = Point::new(&p, &before, 7, 8);
        assert_eq!(
            strings(pt.untried()),
            ["settings", "settings:scope.record=on"]
        );
        assert!(pt.untried().is_empty(), "nothing is handed out twice");
    }

    #[test]
    fn rows_read_after_the_page_become_answers_and_combine() {
        let p = page(&[Scope::Camera, Scope::Record]);
        let mut pt = Point::new(&p, &[], 3, 8);
        assert_eq!(strings(pt.untried()), ["settings"]);
        // read before the page: not a reason to flip it here
        assert!(!pt.observe(&[obs(2, Scope::Camera, Observed::Read)]));
        assert!(pt.observe(&[obs(5, Scope::Camera, Observed::Read)]));
        assert_eq!(strings(pt.untried()), ["settings:scope.camera=on"]);
        assert!(pt.observe(&[obs(9, Scope::Record, Observed::Consulted)]));
        assert_eq!(
            strings(pt.untried()),
            [
                "settings:scope.record=on",
                "settings:scope.record=on;scope.camera=on"
            ]
        );
    }

    #[test]
    fn the_cap_counts_every_answer_given() {
        let p = page(&[Scope::Camera, Scope::Record, Scope::WritePhotosAlbum]);
        let mut pt = Point::new(&p, &[], 0, 3);
        pt.given("settings");
        for s in [Scope::Camera, Scope::Record, Scope::WritePhotosAlbum] {
            pt.observe(&[obs(1, s, Observed::Read)]);
        }
        assert_eq!(pt.untried().len(), 2);
        assert!(pt.untried().is_empty());
    }
}
