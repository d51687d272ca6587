//! In-process caches in front of the store: the consent state of each (tenant, app, user), the
//! API keys already verified and the apps' declarations (manifests). A cached read takes a mutex and a hash lookup instead of an
//! SQLite read transaction (two statements and their file locks).
//!
//! How they stay exact:
//! * **This process's writes.** Only the writer thread writes, and after each commit, before any
//!   reply of that batch is sent, it applies the committed events to the cached states
//!   ([`StateCache::committed`]). A request that was acknowledged is therefore already visible to
//!   every later read.
//! * **A fill racing a commit.** A miss first puts a `Filling(token)` placeholder in its slot,
//!   then reads the store, then installs the state only if the placeholder is still its own. A
//!   commit touching that slot, or a clear, removes the placeholder, so a state read before the
//!   commit is never installed after it.
//! * **Other processes' writes** (`miniperm settings`, `miniperm keys revoke` on the same file):
//!   the writer checks `PRAGMA data_version` of its own connection (which changes only when
//!   ANOTHER connection commits) inside every batch's write transaction, before the batch's own
//!   writes are applied to the cache, and every [`FOREIGN_POLL`] while idle, and clears both
//!   caches when it moved ([`Caches::foreign_change`]). Such writes are seen within about one
//!   poll interval or one batch.
//! * **Never-seen users** ([`KnownKeys`]): a state miss for a (tenant, app, user) that has no row
//!   in the store need not read it. The writer keeps a Bloom filter of every key with an `apps`
//!   row (every key that ever had an event has one): filled by a scan when the service starts,
//!   then with each commit's keys before any reply of the batch is sent. "Absent" is exact (a
//!   Bloom filter has no false negatives), so such a miss answers the empty state at once; a
//!   false positive only costs the read it would have made anyway. Another process's commit
//!   switches the filter off (every miss reads) until the writer has seen no foreign commit for
//!   [`KNOWN_QUIET`] and scans again.
//! * **PostgreSQL** has no such signal and is shared by other service instances, so there the
//!   caches are off ([`Caches::new`] with `exact` false) and every read goes to the database.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use miniperm_core::{AppState, ConsentEvent, Manifest};
use miniperm_store::ConsentKey;
use std::sync::Arc;

/// How often the idle writer looks for other processes' commits.
pub const FOREIGN_POLL: Duration = Duration::from_millis(2);
/// Most cached states; past it the cache starts over (a full clear: O(n), rare).
pub const MAX_STATES: usize = 1 << 16;
/// Most cached keys.
pub const MAX_KEYS: usize = 4096;
/// How long after another process's commit the writer waits before it scans the known keys
/// again (a process that keeps writing keeps the filter off, and the scans from happening).
pub const KNOWN_QUIET: Duration = Duration::from_secs(1);
/// The fewest keys a known-keys filter is sized for; it is sized for twice the keys found.
const KNOWN_MIN_CAPACITY: usize = 1 << 20;
/// The most keys one is sized for (10 bits each: 80 MiB).
const KNOWN_MAX_CAPACITY: usize = 1 << 26;
/// Bits per key and probes per lookup: about 1% false positives at capacity. Past capacity the
/// rate rises slowly (≈14% at twice the keys), costing reads, never answers.
const KNOWN_BITS_PER_KEY: usize = 10;
const KNOWN_PROBES: u64 = 7;

/// A Bloom filter over state keys ([`state_key`]): no false negatives.
pub struct Bloom {
    bits: Vec<AtomicU64>,
    hasher: std::collections::hash_map::RandomState,
}

impl Bloom {
    /// A filter sized for `keys` keys (within the bounds above).
    pub fn with_capacity(keys: usize) -> Bloom {
        let keys = keys.clamp(KNOWN_MIN_CAPACITY, KNOWN_MAX_CAPACITY);
        let words = (keys * KNOWN_BITS_PER_KEY).div_ceil(64);
        Bloom {
            bits: (0..words).map(|_| AtomicU64::new(0)).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// The bit positions of `key` (double hashing over one 64-bit hash).
    fn probes(&self, key: &str) -> impl Iterator<Item = (usize, u64)> + use<> {
        let h = self.hasher.hash_one(key);
        let (h1, h2) = (h & 0xffff_ffff, (h >> 32) | 1);
        let m = (self.bits.len() as u64) * 64;
        (0..KNOWN_PROBES).map(move |i| {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) % m;
            ((bit / 64) as usize, 1u64 << (bit % 64))
        })
    }

    pub fn insert(&self, key: &str) {
        for (w, mask) in self.probes(key) {
            self.bits[w].fetch_or(mask, Ordering::Relaxed);
        }
    }

    /// False only when `key` was never inserted.
    pub fn may_contain(&self, key: &str) -> bool {
        self.probes(key)
            .all(|(w, mask)| self.bits[w].load(Ordering::Relaxed) & mask != 0)
    }
}

/// The keys with rows in the store, as a Bloom filter the writer keeps exact (see the module
/// docs); `None` while off (not built yet, another process wrote, or a store without a change
/// signal).
#[derive(Default)]
pub struct KnownKeys {
    filter: RwLock<Option<Bloom>>,
}

impl KnownKeys {
    /// True only when the store surely has no row for `key`: its state is the empty one.
    pub fn surely_absent(&self, key: &str) -> bool {
        match self.filter.read() {
            Ok(f) => f.as_ref().is_some_and(|b| !b.may_contain(key)),
            Err(_) => false,
        }
    }

    /// Records the keys of committed events (before the batch's replies).
    pub fn committed<'a>(&self, batches: impl IntoIterator<Item = (&'a str, &'a [ConsentEvent])>) {
        let Ok(f) = self.filter.read() else {
            return;
        };
        let Some(b) = f.as_ref() else {
            return;
        };
        for (tenant, events) in batches {
            for e in events {
                b.insert(&state_key(ConsentKey::of_event(tenant, e)));
            }
        }
    }

    /// Installs a filter built from a scan of the store.
    pub fn install(&self, b: Bloom) {
        if let Ok(mut f) = self.filter.write() {
            *f = Some(b);
        }
    }

    /// Switches the filter off: every miss reads the store.
    pub fn off(&self) {
        if let Ok(mut f) = self.filter.write() {
            *f = None;
        }
    }

    pub fn is_on(&self) -> bool {
        self.filter.read().is_ok_and(|f| f.is_some())
    }
}

/// The slot key of one (tenant, app, user): lengths first, so no two triples share a key.
pub fn state_key(key: ConsentKey<'_>) -> String {
    let ConsentKey { tenant, app, user } = key;
    // A length as decimal digits, least significant first (still one string per number).
    fn push_len(k: &mut String, mut n: usize) {
        loop {
            k.push(char::from(b'0' + (n % 10) as u8));
            n /= 10;
            if n == 0 {
                break;
            }
        }
        k.push(':');
    }
    let mut k = String::with_capacity(tenant.len() + app.len() + user.len() + 8);
    push_len(&mut k, tenant.len());
    push_len(&mut k, app.len());
    k.push_str(tenant);
    k.push_str(app);
    k.push_str(user);
    k
}

enum Slot {
    Ready(AppState),
    Filling(u64),
}

/// What a lookup found.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    Hit(AppState),
    /// Read the store, then hand the state to [`StateCache::fill`] with this token.
    Miss(u64),
}

#[derive(Default)]
struct States {
    map: HashMap<String, Slot>,
    next: u64,
}

/// The consent state of each (tenant, app, user) this process has read.
#[derive(Default)]
pub struct StateCache {
    inner: Mutex<States>,
    /// Nothing is kept (a store other processes write without a change signal).
    off: bool,
}

impl StateCache {
    pub fn get(&self, key: &str) -> Lookup {
        let Ok(mut s) = self.inner.lock() else {
            return Lookup::Miss(0);
        };
        s.next += 1;
        let token = s.next;
        match s.map.get_mut(key) {
            Some(Slot::Ready(st)) => return Lookup::Hit(*st),
            Some(slot) => *slot = Slot::Filling(token),
            None => {
                if s.map.len() >= MAX_STATES {
                    s.map.clear();
                }
                s.map.insert(key.to_string(), Slot::Filling(token));
            }
        }
        Lookup::Miss(token)
    }

    /// Installs a state read from the store after [`StateCache::get`] missed with `token`,
    /// unless a commit or a clear came in between.
    pub fn fill(&self, key: &str, token: u64, state: AppState) {
        if self.off {
            return;
        }
        if let Ok(mut s) = self.inner.lock()
            && let Some(slot) = s.map.get_mut(key)
            && matches!(slot, Slot::Filling(t) if *t == token)
        {
            *slot = Slot::Ready(state);
        }
    }

    /// Applies committed events (each `(tenant, events)`), in commit order.
    pub fn committed<'a>(&self, batches: impl IntoIterator<Item = (&'a str, &'a [ConsentEvent])>) {
        let Ok(mut s) = self.inner.lock() else {
            return;
        };
        for (tenant, events) in batches {
            for e in events {
                let key = state_key(ConsentKey::of_event(tenant, e));
                match s.map.get_mut(&key) {
                    Some(Slot::Ready(st)) => st.apply(e),
                    Some(Slot::Filling(_)) => {
                        s.map.remove(&key);
                    }
                    None => {}
                }
            }
        }
    }

    /// Forgets every state (another process wrote to the store).
    pub fn clear(&self) {
        if let Ok(mut s) = self.inner.lock() {
            s.map.clear();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().map(|s| s.map.len()).unwrap_or(0)
    }
}

/// A verified key: its id and tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub id: String,
    pub tenant: String,
}

/// API keys verified against the store, by the hash of their secret. Only active keys are
/// kept; keys are created and revoked by other processes (`miniperm keys`), whose commits clear
/// the cache.
#[derive(Default)]
pub struct KeyCache {
    map: Mutex<HashMap<String, Verified>>,
    /// Bumped by every clear; a fill started before a clear is dropped.
    generation: AtomicU64,
    /// Nothing is kept (a store other processes write without a change signal).
    off: bool,
}

impl KeyCache {
    pub fn get(&self, hash: &str) -> Option<Verified> {
        self.map.lock().ok()?.get(hash).cloned()
    }

    /// The generation to pass to [`KeyCache::fill`]; take it before reading the store.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn fill(&self, hash: &str, key: Verified, generation: u64) {
        if self.off {
            return;
        }
        if let Ok(mut m) = self.map.lock()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            if m.len() >= MAX_KEYS {
                m.clear();
            }
            m.insert(hash.to_string(), key);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            m.clear();
        }
    }
}

/// The app declarations of each (tenant, app) read from the store (absent ones as the empty
/// manifest). Nested maps so a lookup allocates nothing.
#[derive(Default)]
pub struct ManifestCache {
    map: Mutex<HashMap<String, HashMap<String, Arc<Manifest>>>>,
    /// Bumped by every store and clear; a fill started before one is dropped.
    generation: AtomicU64,
    /// Nothing is kept (a store other processes write without a change signal).
    off: bool,
}

impl ManifestCache {
    pub fn get(&self, tenant: &str, app: &str) -> Option<Arc<Manifest>> {
        self.map.lock().ok()?.get(tenant)?.get(app).cloned()
    }

    /// The generation to pass to [`ManifestCache::fill`]; take it before reading the store.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn fill(&self, tenant: &str, app: &str, m: Arc<Manifest>, generation: u64) {
        if self.off {
            return;
        }
        if let Ok(mut map) = self.map.lock()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            if map.len() >= MAX_KEYS {
                map.clear();
            }
            map.entry(tenant.to_string())
                .or_default()
                .insert(app.to_string(), m);
        }
    }

    /// After the store committed `m` for (tenant, app).
    pub fn stored(&self, tenant: &str, app: &str, m: Arc<Manifest>) {
        if self.off {
            return;
        }
        if let Ok(mut map) = self.map.lock() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            map.entry(tenant.to_string())
                .or_default()
                .insert(app.to_string(), m);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            m.clear();
        }
    }
}

/// Everything the writer keeps exact for the request handlers.
#[derive(Default)]
pub struct Caches {
    pub states: StateCache,
    pub known: KnownKeys,
    pub keys: KeyCache,
    pub manifests: ManifestCache,
    /// The API needs no key (loopback, no active key). Once false it stays false.
    pub open: AtomicBool,
}

impl Caches {
    /// With `exact` false (the store cannot tell when another process wrote it: PostgreSQL,
    /// which other service instances share), every read goes to the store.
    pub fn new(open: bool, exact: bool) -> Caches {
        let off = !exact;
        Caches {
            open: AtomicBool::new(open),
            states: StateCache {
                off,
                ..StateCache::default()
            },
            known: KnownKeys::default(),
            keys: KeyCache {
                off,
                ..KeyCache::default()
            },
            manifests: ManifestCache {
                off,
                ..ManifestCache::default()
            },
        }
    }

    /// Whether anything is cached (the store tells when others wrote it).
    pub fn keeps(&self) -> bool {
        !self.states.off
    }

    /// Another process committed to the store: drop what it may have changed. `active_keys`
    /// tells whether the store now holds an active key (`None`: unknown, so assume one).
    pub fn foreign_change(&self, active_keys: Option<bool>) {
        self.known.off();
        self.states.clear();
        self.keys.clear();
        self.manifests.clear();
        if active_keys != Some(false) {
            self.open.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use miniperm_core::{Change, Channel, EventMeta, Scope, Subject, Value, Via};

    /// The slot key of (tenant, app, user).
    fn slot(tenant: &str, app: &str, user: &str) -> String {
        state_key(ConsentKey { tenant, app, user })
    }

    fn granted(user: &str) -> ConsentEvent {
        let meta = EventMeta {
            at: 1,
            user: user.into(),
            app: "wxa".into(),
            channel: Channel::Release,
            profile: "wechat".into(),
        };
        ConsentEvent::new(
            &meta,
            Change {
                subject: Subject::Scope(Scope::Camera),
                from: Value::Unset,
                to: Value::Granted,
                via: Via::Prompt,
                gesture: false,
                api: None,
                notice: None,
            },
        )
    }

    #[test]
    fn the_known_keys_filter_never_forgets_a_key() {
        let b = Bloom::with_capacity(0);
        let keys: Vec<String> = (0..50_000)
            .map(|i| slot("t", "wxa", &format!("user{i}")))
            .collect();
        for k in &keys {
            b.insert(k);
        }
        assert!(keys.iter().all(|k| b.may_contain(k)));
        // Sized for 2^20 keys at 10 bits each: far below capacity, nearly no false positives.
        let false_positives = (0..50_000)
            .filter(|i| b.may_contain(&slot("t", "wxa", &format!("other{i}"))))
            .count();
        assert!(false_positives < 50, "{false_positives} false positives");
    }

    #[test]
    fn absent_only_while_the_filter_is_on_and_commits_make_keys_known() {
        let k = KnownKeys::default();
        let key = slot("t", "wxa", "u");
        assert!(!k.surely_absent(&key), "no filter: every miss reads");
        k.install(Bloom::with_capacity(1));
        assert!(k.surely_absent(&key));
        k.committed([("t", std::slice::from_ref(&granted("u")))]);
        assert!(!k.surely_absent(&key));
        assert!(k.surely_absent(&slot("other", "wxa", "u")));
        k.off();
        assert!(!k.surely_absent(&slot("other", "wxa", "u")));
        // A foreign change switches it off.
        let c = Caches::new(true, true);
        c.known.install(Bloom::with_capacity(1));
        c.foreign_change(None);
        assert!(!c.known.is_on());
    }

    #[test]
    fn keys_of_different_triples_differ() {
        assert_ne!(slot("a", "bc", "d"), slot("ab", "c", "d"));
        assert_ne!(slot("a", "b", "cd"), slot("a", "bc", "d"));
        let long = "x".repeat(12);
        assert_eq!(slot(&long, "a", "u"), format!("21:1:{long}au"));
    }

    #[test]
    fn fill_then_hit_and_commits_apply() {
        let c = StateCache::default();
        let k = slot("t", "wxa", "u");
        let Lookup::Miss(tok) = c.get(&k) else {
            panic!("expected a miss")
        };
        c.fill(&k, tok, AppState::new());
        assert_eq!(c.get(&k), Lookup::Hit(AppState::new()));
        let e = granted("u");
        c.committed([("t", std::slice::from_ref(&e))]);
        let Lookup::Hit(s) = c.get(&k) else {
            panic!("expected a hit")
        };
        assert_eq!(s.scope(Scope::Camera), Value::Granted);
        // Another tenant's slot is untouched.
        assert!(matches!(c.get(&slot("o", "wxa", "u")), Lookup::Miss(_)));
    }

    #[test]
    fn a_commit_during_a_fill_drops_the_fill() {
        let c = StateCache::default();
        let k = slot("t", "wxa", "u");
        let Lookup::Miss(tok) = c.get(&k) else {
            panic!("expected a miss")
        };
        // The store was read (empty state), then a commit landed before the fill.
        c.committed([("t", std::slice::from_ref(&granted("u")))]);
        c.fill(&k, tok, AppState::new());
        assert!(matches!(c.get(&k), Lookup::Miss(_)));
    }

    #[test]
    fn a_clear_during_a_fill_drops_the_fill_and_a_newer_miss_wins() {
        let c = StateCache::default();
        let k = slot("t", "wxa", "u");
        let Lookup::Miss(old) = c.get(&k) else {
            panic!("expected a miss")
        };
        c.clear();
        c.fill(&k, old, AppState::new());
        assert_eq!(c.len(), 0);
        let Lookup::Miss(a) = c.get(&k) else {
            panic!("expected a miss")
        };
        let Lookup::Miss(b) = c.get(&k) else {
            panic!("expected a miss")
        };
        c.fill(&k, a, AppState::new());
        assert!(matches!(c.get(&k), Lookup::Miss(_)), "a stale token filled");
        let Lookup::Miss(d) = c.get(&k) else {
            panic!("expected a miss")
        };
        c.fill(&k, b, AppState::new());
        c.fill(&k, d, AppState::new());
        assert!(matches!(c.get(&k), Lookup::Hit(_)));
    }

    #[test]
    fn a_key_fill_after_a_clear_is_dropped() {
        let c = KeyCache::default();
        let v = Verified {
            id: "key_1".into(),
            tenant: "acme".into(),
        };
        let g = c.generation();
        c.clear();
        c.fill("h", v.clone(), g);
        assert_eq!(c.get("h"), None);
        c.fill("h", v.clone(), c.generation());
        assert_eq!(c.get("h"), Some(v));
    }

    #[test]
    fn foreign_changes_close_open_mode_unless_no_key_is_active() {
        let c = Caches::new(true, true);
        c.foreign_change(Some(false));
        assert!(c.open.load(Ordering::SeqCst));
        c.foreign_change(None);
        assert!(!c.open.load(Ordering::SeqCst));
    }
}
