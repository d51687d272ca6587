//! miniperm's headless mini-program host on QuickJS (rquickjs).
//!
//! [`Project::load`] reads a project once (app.json, sources rewritten to one CommonJS shape and
//! syntax-checked, page WXML, miniperm.json). [`run`] then runs it as often as asked, each run in
//! a fresh QuickJS runtime with a memory cap and an interrupt deadline: `App()`/`Page()`/
//! `Component()`, the page stack, `setData`, timers on a virtual clock, the gesture context (D1),
//! one native UI at a time (D9, D14) and `wx.*`, every decision through `miniperm_core` and every
//! state change appended to the [`ConsentStore`](miniperm_consent::ConsentStore) before the
//! mini-program sees it. A [`User`] answers every native UI; the transcript is a list of
//! [`Event`]s (DESIGN.md's table).
//!
//! Many runs, fast (the explorer): load once, share the [`Project`] (an `Arc`, `Send + Sync`)
//! across threads, and call [`run`] on each thread with its own store (`MemoryStore`) and
//! [`User`]. A run builds its QuickJS runtime from the prelude bytecode compiled at load time
//! (~1.5 ms per run of the classic flow on a loaded 2-core VM); nothing is shared between runs,
//! so runs are independent and deterministic for the same config and answers.
//!
//! The prelude bytecode is loaded with rquickjs's `Module::load`, which is `unsafe`: that one
//! call (in `bytecode.rs`, on bytes QuickJS itself wrote from miniperm's own source) and the
//! compile-only syntax check beside it (`bytecode::check_script`, issue 9) are the `unsafe` of
//! its first audited module, hence `deny(unsafe_code)` rather than `forbid`.
//!
//! Faster still, [`Zygotes::run`]: the same run on a per-thread zygote, a runtime built once in
//! an arena and restored by copy for every run (`zygote/`, the second audited module; its
//! docs list the invariants that make a restore sound). The fresh path stays the fallback and the
//! oracle: both give the same transcript. Both paths cap the heap through `heap` (the third
//! audited module: the allocator both charge the same way).
#![deny(unsafe_code)] // audited modules: `bytecode`, `heap` and `zygote` (see their docs)

mod bake;
mod bytecode;
mod components;
mod device;
mod event;
mod heap;
mod host;
mod mocks;
mod pageinfo;
mod pages;
mod project;
mod sim;
mod source;
mod stack;
mod transcript;
mod user;
mod zygote;

pub use device::{DEVICES, Device, SIMULATOR_DEVICE};
pub use event::{
    EndReason, Event, Observation, Observed, Repeats, escape_controls, render_human,
    render_outline, warning,
};
pub use host::{DEFAULT_NOW_MS, DEFAULT_SEED, Limits, RunConfig, RunError, RunOutcome, run};
pub use mocks::MockError;
pub use pageinfo::{Button, PageInfo, TapTarget};
pub use pages::{PageProblem, PageReport, check_page, check_pages};
pub use project::{LoadError, Project};
pub use source::FileProblem;
pub use transcript::Transcript;
pub use user::{
    AnswerError, PrivacySource, ScriptedUser, UiAnswer, UiRequest, User, parse_answers,
};
pub use zygote::{Branch, Step, Zygotes};
