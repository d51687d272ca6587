//! The per-thread zygote: many runs of one project without building a QuickJS runtime per run.
//!
//! A zygote is an [`Engine`] (runtime, `Context::full`, guards, host functions, prelude, `wx`,
//! and every module wrapper evaluated, which runs no mini-program code) whose whole memory lives
//! in one arena ([`arena`]: QuickJS's allocator functions served from a fixed region, the
//! allocator's own bookkeeping inside it). Once built, the used prefix of the arena is copied
//! aside; each run copies it back (same addresses, so every pointer in it is valid again), resets
//! the host's Rust state, calls `JS_UpdateStackTop` and drives the run. Restoring replaces the
//! whole heap: globals, prototypes, timers, the job queue, `Math.random`'s state, atoms, shapes
//! and the allocator itself, so nothing a run did is visible to the next.
//!
//! This module and [`arena`] are the crate's second audited `unsafe` (with `bytecode`). A restore
//! is sound because of these invariants, each enforced where named:
//! 1. **Nothing holds a JS value across a restore except what existed at the snapshot.** The
//!    engine keeps `Persistent`s (`Engine::h`, `Engine::pins`, and rquickjs's cached
//!    `Function.prototype`) all created before the snapshot and never dropped while the zygote
//!    lives; their references are counted in the snapshot itself. Every other value lives inside
//!    `Engine::drive`'s `ctx.with`, which has returned before [`Zygote::run`] restores (it takes
//!    `&mut self`, and the restore runs before the drive starts).
//! 2. **Rust data the heap points to outlives every restore.** The JS heap points outside the
//!    arena only at rquickjs's runtime `Opaque` (its handlers and class ids, set before the
//!    snapshot and never replaced), at the allocator (fixed), and at the boxed closures of the
//!    host functions. Those are all created in `Engine::build` (before the snapshot); every one of
//!    them is pinned in `Engine::pins`, so no path can drop its last reference and run the
//!    finalizer that would free the closure while the snapshot still points at it. No Rust class
//!    instance or Rust function is created after the snapshot (`host` creates them only in
//!    `install` and `guard::install`).
//! 3. **The snapshot is taken in a quiescent state**: no JS running, no pending job, the host's
//!    state as a fresh run has it (`Engine::pristine`). Whatever differs per path (the consent
//!    state, the run's events) is Rust state, reset after each restore (`Engine::reset`,
//!    `Engine::drive`).
//! 4. **One zygote per key** ([`Key`]): everything the host functions and the prelude captured at
//!    build time (project, profile, system switches, channel, limits, first page, clock start,
//!    seed, base library, user). A run whose config differs in any of them gets another zygote.
//! 5. **The stack top is set after the copy**, on the running thread (`update_stack_top`, first
//!    thing inside the run's `ctx.with`): QuickJS's stack limit is relative to it, and the copy
//!    brought back the builder's.
//! 6. **A zygote is used by one thread at a time.** [`Zygotes`] is `Send` so a pool can hand it
//!    to whichever worker runs next: every `Rc` and rquickjs handle of the runtime is owned by the
//!    zygote and moves with it (none is shared with anything outside; the allocator's `Refused`
//!    flag is shared only with the zygote's own engine), QuickJS keeps no
//!    thread-local state, and the stack top is set again on every run.
//!
//! The memory limit holds: the arena refuses a block that would take the bytes in use past
//! `--memory-mb` (`crate::heap`, the same charge as the fresh path's `CappedAlloc`), and the arena
//! itself is that cap plus room for fragmentation, so even its own exhaustion is an ordinary
//! out-of-memory. Either refusal sets the run's `Refused` flag, which ends the run with the
//! memory limit even when the program catches the error.
#![allow(unsafe_code)]

mod arena;

use std::borrow::Cow;

use miniperm_consent::ConsentStore;
use miniperm_core::{Channel, Profile, SystemSwitches};
use rquickjs::{Ctx, Runtime};

use crate::heap::Refused;
use crate::host::{Drove, Engine, Limits, Paused, RunConfig, RunError, RunOutcome};
use crate::project::Project;
use crate::user::User;
use arena::{ArenaAlloc, ArenaRef};

/// What a zygote was built for: every input the engine captured at build time.
struct Key {
    project: Project,
    profile: Profile,
    system: SystemSwitches,
    channel: Channel,
    limits: Limits,
    route: String,
    now_ms: i64,
    seed: u32,
    base_lib: (u16, u16, u16),
    user: String,
    device: crate::Device,
    clip: Option<usize>,
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        std::sync::Arc::ptr_eq(&self.project.inner, &o.project.inner)
            && self.profile == o.profile
            && self.system == o.system
            && self.channel == o.channel
            && self.limits == o.limits
            && self.route == o.route
            && self.now_ms == o.now_ms
            && self.seed == o.seed
            && self.base_lib == o.base_lib
            && self.user == o.user
            && self.device == o.device
            && self.clip == o.clip
    }
}

impl Key {
    fn of(project: &Project, cfg: &RunConfig, route: &str) -> Key {
        Key {
            project: project.clone(),
            profile: cfg.profile.clone(),
            system: cfg.system,
            channel: cfg.channel,
            limits: cfg.limits,
            route: route.to_string(),
            now_ms: cfg.now_ms,
            seed: cfg.seed,
            base_lib: cfg.effective_base_lib(),
            user: cfg.user.clone(),
            device: cfg.device,
            clip: cfg.clip,
        }
    }
}

/// One engine in an arena, and the copy of the arena taken after it was built.
pub(crate) struct Zygote {
    /// Dropped first: the runtime frees into the arena, which its allocator owns.
    engine: Engine,
    arena: ArenaRef,
    snapshot: Vec<u8>,
    key: Key,
    /// Tells this zygote's branches from another's (a branch's memory is this arena's).
    id: u64,
    /// The branch whose memory the arena holds right now (taken, and nothing ran since):
    /// resuming it needs no copy.
    holds: Option<u64>,
}

/// The ids of zygotes: a branch resumes only on the zygote whose memory it copied.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A run on a zygote stopped at a UI, shown and not answered yet: resume it with any answer, as
/// often as wanted ([`Zygotes::resume`]), each time from that very point: the JS heap as it was
/// (the used part of the zygote's arena, copied) and the host's state (the transcript so far,
/// the queues, the virtual clock, the consent state).
pub struct Branch {
    zygote: u64,
    /// This branch among all (the arena may still hold its memory).
    id: u64,
    route: String,
    memory: Spare,
    paused: Box<Paused>,
}

/// Where a branch stands, for resuming it.
struct At<'a> {
    zygote: u64,
    id: u64,
    route: &'a str,
    memory: &'a [u8],
}

/// A branch's copy of the arena; its buffer goes back to the thread's spares when dropped.
struct Spare(Vec<u8>);

impl Drop for Spare {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.0));
    }
}

impl Branch {
    /// The UI the run waits at.
    pub fn ui(&self) -> &crate::user::UiRequest {
        self.paused.ui()
    }

    /// The consent facts the run observed up to the UI.
    pub fn observations(&self) -> &[crate::event::Observation] {
        self.paused.observations()
    }

    /// The transcript's length at the UI (its `ui` event included): the index the answer's
    /// event gets.
    pub fn transcript_len(&self) -> usize {
        self.paused.transcript_len()
    }

    /// The bytes of JS heap the branch keeps.
    pub fn memory_bytes(&self) -> usize {
        self.memory.0.len()
    }
}

/// How many branch buffers a thread keeps for reuse: a depth-first search holds one per level
/// of the path it is on, so this covers flows of that many branching UIs before it allocates.
const SPARE: usize = 32;

thread_local! {
    /// Buffers of dropped branches, kept for the next branch on this thread. A branch's copy
    /// is hundreds of KB: a fresh one costs the allocator a new mapping and the kernel the
    /// zeroing of its pages (a fifth of a resumed path's time, profiled), a reused one neither.
    static SPARES: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty buffer with room for `len` bytes: a spare one when there is one.
fn spare_buffer(len: usize) -> Vec<u8> {
    let reused = SPARES
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let i = s.iter().position(|b| b.capacity() >= len)?;
            Some(s.swap_remove(i))
        })
        .ok()
        .flatten();
    match reused {
        Some(mut b) => {
            b.clear();
            b
        }
        // Room to grow: the next branch of the same run is usually a little larger.
        None => Vec::with_capacity(len + len / 8),
    }
}

fn give_back(b: Vec<u8>) {
    if b.capacity() == 0 {
        return;
    }
    // At thread exit the pool may be gone: the buffer is simply freed.
    let _ = SPARES.try_with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < SPARE {
            s.push(b);
        }
    });
}

impl std::fmt::Debug for Branch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Branch")
            .field("ui", self.ui())
            .field("memory", &self.memory.0.len())
            .finish()
    }
}

/// Where a run that may stop at UIs stands: ended, or stopped at a branch.
#[derive(Debug)]
pub enum Step {
    Done(RunOutcome),
    Paused(Branch),
}

/// The arena of a run capped at `cap` bytes: the cap, plus an eighth and 1 MiB for
/// fragmentation, so the cap (the fresh path's) trips first.
fn arena_len(cap: usize) -> usize {
    cap.saturating_add(cap / 8).saturating_add(1 << 20)
}

impl Zygote {
    fn build(project: &Project, cfg: &RunConfig, route: &str) -> Result<Zygote, RunError> {
        if cfg.limits.memory_bytes == 0 {
            // No cap: QuickJS would not refuse, but an arena must end somewhere.
            return Err(RunError::Engine("a zygote needs a memory cap".into()));
        }
        let engine_err = || RunError::Engine("cannot reserve the zygote's arena".into());
        let cap = cfg.limits.memory_bytes;
        let refused = Refused::default();
        let alloc =
            ArenaAlloc::capped(arena_len(cap), cap, refused.clone()).ok_or_else(engine_err)?;
        let arena = alloc.at();
        let rt = Runtime::new_with_alloc(alloc).map_err(|e| RunError::Engine(e.to_string()))?;
        let engine = Engine::build(rt, project, cfg, route, refused)?;
        engine.preload(project)?;
        if engine.rt.is_job_pending() || !engine.pristine() {
            return Err(RunError::Engine(
                "the zygote is not quiescent after building".into(),
            ));
        }
        let top = ArenaAlloc::top(arena);
        // SAFETY: `[base, base + top)` is the arena's used prefix (top <= len), alive as long as
        // `engine`'s runtime; no JS runs and no Rust reference into it exists while we read it.
        let snapshot = unsafe { std::slice::from_raw_parts(arena.base.as_ptr(), top) }.to_vec();
        Ok(Zygote {
            engine,
            arena,
            snapshot,
            key: Key::of(project, cfg, route),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            holds: None,
        })
    }

    /// The used part of the arena now (a run just stopped at a UI: no JS runs, no Rust value
    /// of the run is alive), with the host's state at that point.
    pub(crate) fn branch(&mut self, paused: Box<Paused>, route: &str) -> Branch {
        let top = ArenaAlloc::top(self.arena);
        // SAFETY: as for the snapshot in `build`: `[base, base + top)` is the arena's used
        // prefix, alive as long as the engine; the run's `ctx.with` has returned (invariant 1:
        // its values are dropped), so no JS runs and nothing writes the arena while we read it.
        let used = unsafe { std::slice::from_raw_parts(self.arena.base.as_ptr(), top) };
        let mut memory = spare_buffer(top);
        memory.extend_from_slice(used);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.holds = Some(id);
        Branch {
            zygote: self.id,
            id,
            route: route.to_string(),
            memory: Spare(memory),
            paused,
        }
    }

    /// Copies `memory` (this arena's, taken by [`Zygote::branch`] or [`Zygote::build`]) back
    /// at the arena's base.
    fn restore(&mut self, memory: &[u8]) {
        // SAFETY: invariants 1–3 of the module docs, as in `run`; `memory` was read from this
        // very arena (a branch carries its zygote's id, checked by the caller), at most its
        // length, written back at the addresses it was read from.
        unsafe {
            std::ptr::copy_nonoverlapping(
                memory.as_ptr(),
                self.arena.base.as_ptr(),
                memory.len().min(self.arena.len),
            );
        }
    }

    /// Restores the snapshot, resets the host's state and runs `f` on the engine.
    pub(crate) fn run<T>(&mut self, f: impl FnOnce(&Engine) -> T) -> T {
        self.holds = None;
        // SAFETY: invariants 1–3 of the module docs: no JS value is live outside the snapshot's
        // own `Persistent`s, the closures the heap points to are alive (pinned), and no JS runs
        // (`&mut self`; the previous run's `ctx.with` has returned). The snapshot is at most the
        // arena's length and written at the arena's own base, the addresses it was read from.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.snapshot.as_ptr(),
                self.arena.base.as_ptr(),
                self.snapshot.len().min(self.arena.len),
            );
        }
        self.engine.reset();
        f(&self.engine)
    }
}

impl Drop for Zygote {
    fn drop(&mut self) {
        // Freeing the runtime may check the stack against the top of whichever thread ran last.
        self.engine.enter(update_stack_top);
    }
}

/// Sets QuickJS's stack top to the current stack position (invariant 5). Call it first thing
/// inside the `ctx.with` of a run on a restored engine.
pub(crate) fn update_stack_top(ctx: &Ctx<'_>) {
    use rquickjs::qjs;
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: `raw` is the live context `ctx` borrows (the runtime's lock is held by `with`);
    // `JS_UpdateStackTop` only writes the runtime's stack top and limit.
    unsafe { qjs::JS_UpdateStackTop(qjs::JS_GetRuntime(raw)) }
}

/// A worker's zygotes, one per [`Key`] (the few most recent), built on first use. A key whose
/// zygote cannot be built runs on fresh runtimes.
pub struct Zygotes {
    ready: Vec<Zygote>,
    failed: Vec<Key>,
}

/// How many keys a pool keeps a zygote for.
const KEEP: usize = 4;

// SAFETY: invariant 6 of the module docs. A `Zygotes` owns every `Rc`, `Runtime`, `Context` and
// `Persistent` of its engines (none is cloned out: `Engine` is crate-private and only lent to a
// run inside `Zygote::run`), so moving it moves the whole graph; it is `!Sync`, so one thread
// uses it at a time; QuickJS has no thread-local state, and each run resets the stack top on the
// thread that runs it.
unsafe impl Send for Zygotes {}

impl Default for Zygotes {
    fn default() -> Self {
        Zygotes::new()
    }
}

impl std::fmt::Debug for Zygotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zygotes")
            .field("ready", &self.ready.len())
            .field("failed", &self.failed.len())
            .finish()
    }
}

impl Zygotes {
    pub fn new() -> Zygotes {
        Zygotes {
            ready: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// The zygote for this run, built if needed; None when it cannot be built (the caller then
    /// runs on a fresh runtime).
    pub(crate) fn get(
        &mut self,
        project: &Project,
        cfg: &RunConfig,
        route: &str,
    ) -> Option<&mut Zygote> {
        let key = Key::of(project, cfg, route);
        if self.failed.contains(&key) {
            return None;
        }
        match self.ready.iter().position(|z| z.key == key) {
            Some(i) => {
                // Most recent last.
                let z = self.ready.remove(i);
                self.ready.push(z);
            }
            None => match Zygote::build(project, cfg, route) {
                Ok(z) => {
                    if self.ready.len() >= KEEP {
                        self.ready.remove(0);
                    }
                    self.ready.push(z);
                }
                Err(_) => {
                    self.failed.push(key);
                    return None;
                }
            },
        }
        self.ready.last_mut()
    }

    /// A run that stops at every UI `user.suspend_at` names ([`Step::Paused`]); `Ok(None)` when
    /// no zygote fits the run (nothing was run: replay it instead).
    pub fn start(
        &mut self,
        project: &Project,
        cfg: &RunConfig,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
    ) -> Result<Option<Step>, RunError> {
        let eff = crate::host::effective(cfg);
        let route = crate::host::first_route(project, &eff)?;
        if self.get(project, &eff, &route).is_none() {
            return Ok(None);
        }
        self.start_on(project, cfg, store, user, true).map(Some)
    }

    /// A run on this pool's zygote for the run's config when one fits it (built on first use),
    /// else on a fresh runtime (which never pauses). With `pausable`, a run on a zygote stops at
    /// each UI its user asks to stop at ([`Step::Paused`]: resume it with [`Zygotes::resume`]).
    fn start_on(
        &mut self,
        project: &Project,
        cfg: &RunConfig,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
        pausable: bool,
    ) -> Result<Step, RunError> {
        let cfg = crate::host::effective(cfg);
        let cfg: &RunConfig = &cfg;
        let start = crate::host::begin(project, cfg, store)?;
        let route = start.route().to_string();
        if let Some(z) = self.get(project, cfg, &route) {
            let restored = Some(update_stack_top as crate::host::Enter);
            let drove =
                z.run(|engine| engine.drive(project, cfg, start, store, user, restored, pausable))?;
            return Ok(match drove {
                Drove::Done(o) => Step::Done(o),
                Drove::Paused(p) => Step::Paused(z.branch(p, &route)),
            });
        }
        crate::host::run_fresh(project, cfg, start, store, user).map(Step::Done)
    }

    /// Goes on from `branch` with `answer` to its UI: `store` must hold the consent the
    /// branch's run had stored when it stopped (the caller keeps a copy), and `cfg` be the
    /// config it ran with. `Ok(None)` when the branch's zygote is gone from this pool (replay
    /// the path instead).
    pub fn resume(
        &mut self,
        project: &Project,
        cfg: &RunConfig,
        branch: &Branch,
        answer: crate::user::UiAnswer,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
    ) -> Result<Option<Step>, RunError> {
        let at = At {
            zygote: branch.zygote,
            id: branch.id,
            route: &branch.route,
            memory: &branch.memory.0,
        };
        self.resume_from(
            project,
            cfg,
            at,
            Cow::Borrowed(&branch.paused),
            answer,
            store,
            user,
        )
    }

    /// [`Zygotes::resume`] with the branch's last answer: the branch is used up, its host
    /// state moved into the run instead of copied.
    pub fn resume_last(
        &mut self,
        project: &Project,
        cfg: &RunConfig,
        branch: Branch,
        answer: crate::user::UiAnswer,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
    ) -> Result<Option<Step>, RunError> {
        let Branch {
            zygote,
            id,
            route,
            memory,
            paused,
        } = branch;
        let at = At {
            zygote,
            id,
            route: &route,
            memory: &memory.0,
        };
        self.resume_from(project, cfg, at, Cow::Owned(*paused), answer, store, user)
    }

    #[allow(clippy::too_many_arguments)]
    fn resume_from(
        &mut self,
        project: &Project,
        cfg: &RunConfig,
        at: At<'_>,
        paused: Cow<'_, Paused>,
        answer: crate::user::UiAnswer,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
    ) -> Result<Option<Step>, RunError> {
        let eff = crate::host::effective(cfg);
        let eff: &RunConfig = &eff;
        let key = Key::of(project, eff, at.route);
        let Some(z) = self.ready.iter_mut().find(|z| z.key == key) else {
            return Ok(None);
        };
        if z.id != at.zygote {
            return Ok(None);
        }
        // The arena still holds the branch's memory when nothing ran since it was taken (the
        // first answer of a branch): no copy.
        if z.holds != Some(at.id) {
            z.restore(at.memory);
        }
        z.holds = None;
        let drove = z.engine.resume(
            project,
            eff,
            paused,
            answer,
            store,
            user,
            update_stack_top,
            true,
        )?;
        Ok(Some(match drove {
            Drove::Done(o) => Step::Done(o),
            Drove::Paused(p) => Step::Paused(z.branch(p, at.route)),
        }))
    }

    /// [`crate::run`], on this pool's zygote for the run's config: the same outcome, without
    /// building and freeing a runtime.
    pub fn run(
        &mut self,
        project: &Project,
        cfg: &RunConfig,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
    ) -> Result<RunOutcome, RunError> {
        match self.start_on(project, cfg, store, user, false)? {
            Step::Done(o) => Ok(o),
            Step::Paused(_) => Err(RunError::Engine("a run paused that may not pause".into())),
        }
    }

    /// The bytes each run on this pool copies back (the largest snapshot it holds).
    pub fn snapshot_bytes(&self) -> usize {
        self.ready
            .iter()
            .map(|z| z.snapshot.len())
            .max()
            .unwrap_or(0)
    }

    /// Allocations the arena refused (it was full) during the last run on the zygote for `cfg`.
    #[cfg(test)]
    fn refused(&self) -> usize {
        self.ready
            .last()
            .map_or(0, |z| ArenaAlloc::refused(z.arena))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
