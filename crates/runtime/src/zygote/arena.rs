//! The allocator inside a zygote's arena: QuickJS's memory functions (rquickjs's [`Allocator`])
//! served from one fixed, contiguous region whose bookkeeping lives in the region itself, so a
//! byte copy of the region's used prefix is a complete snapshot of the engine's memory,
//! allocator state included.
//!
//! Layout: a [`Meta`] header at offset 0, then blocks. Every block starts 16-aligned with a
//! 16-byte header `[prev_size, size | flags]`; the caller's pointer is the block plus 16. A free
//! block keeps its free-list links (`next`, `prev`, as offsets) in its first 16 payload bytes,
//! and the block after it records its size in `prev_size` (boundary tags), so a free merges with
//! both neighbours in constant time. Free blocks are kept in segregated bins: exact bins every 16
//! bytes below 8 KiB (QuickJS asks mostly for its own 4 KiB small-object pages), then four bins
//! per power of two; a bitmap finds the next non-empty bin. Past the last block is the untouched
//! top of the arena; a block freed next to it gives its bytes back to the top, so no free block
//! ever borders the top. An allocation that fits nowhere returns null, which QuickJS reports as
//! out of memory.
//!
//! The run's memory cap is enforced here, not by QuickJS's `malloc_limit` (whose refusals no
//! host code sees, so a program that catches the error would run on as if nothing happened): a
//! request whose block would take the bytes in use past the cap is refused, and the refusal is
//! signalled to the host through a flag outside the arena ([`Refused`], `crate::heap`). The
//! charge of a request is its block size ([`block_size`]), the same charge the fresh path's
//! `CappedAlloc` makes (both from `crate::heap`, the runtime's heap cap), so both paths refuse at the same point of the same run
//! (up to a split remainder too small to be a block, which a block here keeps: at most 16 bytes
//! per such block).
//!
//! Invariants (checked by the tests at the bottom, relied on by [`super`]):
//! 1. every read and write stays inside `[base, base + len)`;
//! 2. all mutable allocator state is in the arena (the Rust struct holds `base`, `len`, the cap,
//!    and the refusal flag, which lives outside the arena on purpose: a restore must not hide
//!    a refusal from the host, and `Engine::reset` clears it);
//! 3. no two free blocks are adjacent, and no free block borders the top;
//! 4. bytes past `Meta::top` are never read as metadata (a restore copies only up to the
//!    snapshot's `top`; what lies past it is garbage that nothing reads).

use std::alloc::Layout;
use std::ptr::NonNull;

use rquickjs::allocator::Allocator;

use crate::heap::{HEADER, MIN_BLOCK, Refused, block_size};

const INUSE: usize = 1;
const PREV_INUSE: usize = 2;
const FLAGS: usize = 15;
/// Exact bins: block sizes 32..8192 in steps of 16 (bin = size / 16).
const SMALL_BINS: usize = 512;
const SMALL_LIMIT: usize = SMALL_BINS * 16;
/// Four bins per power of two from 2^13 up.
const NBINS: usize = SMALL_BINS + 4 * 52;
const WORDS: usize = NBINS.div_ceil(64);

/// The allocator's state, at offset 0 of the arena.
#[repr(C)]
struct Meta {
    /// Offset of the first byte never handed out (the top).
    top: usize,
    /// Allocations refused because the arena was full.
    refused: usize,
    /// Bytes in blocks handed out and not freed (headers included).
    used: usize,
    bitmap: [u64; WORDS],
    /// Offset of the first free block of each bin, 0 when empty.
    bins: [usize; NBINS],
}

const META_SIZE: usize = size_of::<Meta>().next_multiple_of(16);

fn bin_of(size: usize) -> usize {
    if size < SMALL_LIMIT {
        size / 16
    } else {
        let lg = usize::BITS as usize - 1 - size.leading_zeros() as usize;
        let sub = (size >> (lg - 2)) & 3;
        (SMALL_BINS + (lg - 13) * 4 + sub).min(NBINS - 1)
    }
}

/// The memory of one arena, owned; freed when the runtime that allocates from it is dropped.
pub(crate) struct ArenaAlloc {
    base: NonNull<u8>,
    len: usize,
    /// The most bytes of blocks (headers included) in use at once.
    cap: usize,
    refused: Refused,
}

/// Where an arena is, for the snapshot and the restore (no ownership).
#[derive(Clone, Copy)]
pub(crate) struct ArenaRef {
    pub(crate) base: NonNull<u8>,
    pub(crate) len: usize,
}

impl ArenaAlloc {
    /// A zeroed arena of `len` bytes (rounded up to a page), or None if the system refuses it.
    #[cfg(test)]
    pub(crate) fn new(len: usize) -> Option<ArenaAlloc> {
        ArenaAlloc::capped(len, usize::MAX, Refused::default())
    }

    /// An arena of `len` bytes whose blocks in use never take more than `cap` bytes; a request
    /// past that is refused and sets `refused`.
    pub(crate) fn capped(len: usize, cap: usize, refused: Refused) -> Option<ArenaAlloc> {
        let len = len.max(META_SIZE + 4096).next_multiple_of(4096);
        let layout = Layout::from_size_align(len, 4096).ok()?;
        // SAFETY: `layout` has a non-zero size. Zeroed memory is a valid empty `Meta` (every
        // bin empty, nothing used) once `top` is set below.
        let base = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })?;
        let a = ArenaAlloc {
            base,
            len,
            cap,
            refused,
        };
        // SAFETY: offset 0 is inside the arena and aligned for `Meta` (page-aligned base).
        unsafe { (*a.meta()).top = META_SIZE };
        Some(a)
    }

    pub(crate) fn at(&self) -> ArenaRef {
        ArenaRef {
            base: self.base,
            len: self.len,
        }
    }

    fn meta(&self) -> *mut Meta {
        self.base.as_ptr().cast()
    }

    /// The word at `off` (a block header field or a free block's link).
    ///
    /// # Safety
    /// `off + 8 <= len` and `off` is 8-aligned: every caller passes a block offset (16-aligned,
    /// inside the arena by invariant 1) plus 0 or 8 of its header, or plus 16 or 24 of a free
    /// block's payload (free blocks are at least 32 bytes).
    unsafe fn word(&self, off: usize) -> *mut usize {
        debug_assert!(off + 8 <= self.len && off.is_multiple_of(8));
        // SAFETY: per this function's contract the word is inside the arena and aligned.
        unsafe { self.base.as_ptr().add(off).cast() }
    }

    unsafe fn size(&self, b: usize) -> usize {
        unsafe { *self.word(b + 8) & !FLAGS }
    }
    unsafe fn flags(&self, b: usize) -> usize {
        unsafe { *self.word(b + 8) & FLAGS }
    }
    unsafe fn set_head(&self, b: usize, size: usize, flags: usize) {
        unsafe { *self.word(b + 8) = size | flags }
    }

    unsafe fn unlink(&self, b: usize) {
        unsafe {
            let m = self.meta();
            let next = *self.word(b + HEADER);
            let prev = *self.word(b + HEADER + 8);
            if prev == 0 {
                let bin = bin_of(self.size(b));
                (*m).bins[bin] = next;
                if next == 0 {
                    (*m).bitmap[bin / 64] &= !(1 << (bin % 64));
                }
            } else {
                *self.word(prev + HEADER) = next;
            }
            if next != 0 {
                *self.word(next + HEADER + 8) = prev;
            }
        }
    }

    unsafe fn link(&self, b: usize) {
        unsafe {
            let m = self.meta();
            let bin = bin_of(self.size(b));
            let head = (*m).bins[bin];
            *self.word(b + HEADER) = head;
            *self.word(b + HEADER + 8) = 0;
            if head != 0 {
                *self.word(head + HEADER + 8) = b;
            }
            (*m).bins[bin] = b;
            (*m).bitmap[bin / 64] |= 1 << (bin % 64);
        }
    }

    /// The first non-empty bin at or after `from`.
    fn next_bin(&self, from: usize) -> Option<usize> {
        // SAFETY: `Meta` is at offset 0, inside the arena.
        let m = unsafe { &*self.meta() };
        let mut w = from / 64;
        let mut bits = m.bitmap.get(w)? & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = *m.bitmap.get(w)?;
        }
    }

    /// A free block of at least `need` bytes, unlinked, or None.
    unsafe fn take_free(&self, need: usize) -> Option<usize> {
        unsafe {
            let bin = bin_of(need);
            // A large bin holds a range of sizes: first fit inside it.
            if bin >= SMALL_BINS {
                let mut b = (*self.meta()).bins[bin];
                while b != 0 {
                    if self.size(b) >= need {
                        self.unlink(b);
                        return Some(b);
                    }
                    b = *self.word(b + HEADER);
                }
            }
            // Any block of a later bin is larger than `need`.
            let from = if bin >= SMALL_BINS || (*self.meta()).bins[bin] == 0 {
                bin + 1
            } else {
                bin
            };
            let found = self.next_bin(from)?;
            let b = (*self.meta()).bins[found];
            self.unlink(b);
            Some(b)
        }
    }

    /// Marks free block `b` (already unlinked) in use with `need` bytes, returning the rest to
    /// a bin when it is large enough to be a block.
    unsafe fn use_block(&self, b: usize, need: usize) {
        unsafe {
            let size = self.size(b);
            let prev_flag = self.flags(b) & PREV_INUSE;
            let next = b + size;
            if size - need >= MIN_BLOCK {
                self.set_head(b, need, INUSE | prev_flag);
                let rest = b + need;
                self.set_head(rest, size - need, PREV_INUSE);
                // The block after `b` was in use (invariant 3): it now follows a free block.
                *self.word(next) = size - need;
                self.link(rest);
                (*self.meta()).used += need;
            } else {
                self.set_head(b, size, INUSE | prev_flag);
                let nf = self.flags(next);
                self.set_head(next, self.size(next), nf | PREV_INUSE);
                (*self.meta()).used += size;
            }
        }
    }

    unsafe fn malloc(&self, n: usize) -> *mut u8 {
        unsafe {
            let Some(need) = block_size(n) else {
                return self.refuse();
            };
            if (*self.meta()).used.saturating_add(need) > self.cap {
                return self.over_cap();
            }
            self.place(need)
        }
    }

    /// A block of `need` bytes (a [`block_size`]), the cap already checked; null when the arena
    /// has no room.
    unsafe fn place(&self, need: usize) -> *mut u8 {
        unsafe {
            if let Some(b) = self.take_free(need) {
                self.use_block(b, need);
                return self.base.as_ptr().add(b + HEADER);
            }
            let m = self.meta();
            if need > self.len - (*m).top {
                return self.refuse();
            }
            let b = (*m).top;
            (*m).top += need;
            (*m).used += need;
            // The block before the top is never free (invariant 3).
            self.set_head(b, need, INUSE | PREV_INUSE);
            self.base.as_ptr().add(b + HEADER)
        }
    }

    /// Refuses a request the arena has no room for (counted: it should never happen, the
    /// arena is larger than the cap).
    fn refuse(&self) -> *mut u8 {
        // SAFETY: `Meta` is at offset 0, inside the arena.
        unsafe { (*self.meta()).refused += 1 };
        self.refused.set();
        std::ptr::null_mut()
    }

    /// Refuses a request past the run's memory cap.
    fn over_cap(&self) -> *mut u8 {
        self.refused.set();
        std::ptr::null_mut()
    }

    /// The block of a pointer this allocator returned.
    fn block_of(&self, p: *mut u8) -> usize {
        p as usize - self.base.as_ptr() as usize - HEADER
    }

    unsafe fn free(&self, p: *mut u8) {
        unsafe {
            let mut b = self.block_of(p);
            let mut size = self.size(b);
            (*self.meta()).used -= size;
            if self.flags(b) & PREV_INUSE == 0 {
                let prev = b - *self.word(b);
                self.unlink(prev);
                size += self.size(prev);
                b = prev;
            }
            let next = b + size;
            let m = self.meta();
            if next == (*m).top {
                (*m).top = b;
                return;
            }
            if self.flags(next) & INUSE == 0 {
                self.unlink(next);
                size += self.size(next);
            }
            // The block before a free block is in use (invariant 3).
            self.set_head(b, size, PREV_INUSE);
            let after = b + size;
            *self.word(after) = size;
            let af = self.flags(after) & !PREV_INUSE;
            self.set_head(after, self.size(after), af);
            self.link(b);
        }
    }

    unsafe fn realloc(&self, p: *mut u8, n: usize) -> *mut u8 {
        unsafe {
            let Some(need) = block_size(n) else {
                return self.refuse();
            };
            let b = self.block_of(p);
            let size = self.size(b);
            if need <= size {
                return p;
            }
            let m = self.meta();
            // Charged as the fresh path charges it: the old block given back, the new one taken.
            if ((*m).used - size).saturating_add(need) > self.cap {
                return self.over_cap();
            }
            let next = b + size;
            // Grow in place into the top.
            if next == (*m).top {
                if need - size <= self.len - (*m).top {
                    (*m).top = b + need;
                    (*m).used += need - size;
                    self.set_head(b, need, self.flags(b));
                    return p;
                }
            } else if self.flags(next) & INUSE == 0 && size + self.size(next) >= need {
                // Grow in place into a free neighbour (the block after it is in use).
                self.unlink(next);
                let total = size + self.size(next);
                self.set_head(b, total, self.flags(b));
                (*m).used -= size;
                self.use_block(b, need);
                return p;
            }
            let q = self.place(need);
            if !q.is_null() {
                std::ptr::copy_nonoverlapping(p, q, size - HEADER);
                self.free(p);
            }
            q
        }
    }

    /// Allocations refused because the arena was full, since the last snapshot restore.
    #[cfg(test)]
    pub(crate) fn refused(at: ArenaRef) -> usize {
        // SAFETY: `Meta` is at offset 0 of the arena `at` describes, which lives as long as its
        // zygote (the only caller).
        unsafe { (*at.base.as_ptr().cast::<Meta>()).refused }
    }

    /// Bytes of the arena in use: the prefix a snapshot must copy.
    pub(crate) fn top(at: ArenaRef) -> usize {
        // SAFETY: as in `refused`.
        unsafe { (*at.base.as_ptr().cast::<Meta>()).top }
    }
}

impl Drop for ArenaAlloc {
    fn drop(&mut self) {
        if let Ok(layout) = Layout::from_size_align(self.len, 4096) {
            // SAFETY: allocated in `new` with this very layout; dropped once, after the runtime
            // that allocated from it (rquickjs drops the allocator after `JS_FreeRuntime`).
            unsafe { std::alloc::dealloc(self.base.as_ptr(), layout) };
        }
    }
}

// SAFETY (trait contract): every pointer returned is 16-aligned (blocks are 16-aligned and the
// header is 16 bytes) with at least the requested bytes before the block's end, inside the
// arena; `usable_size` reads the header this allocator wrote before every pointer it returns;
// null is returned when a request cannot be served.
unsafe impl Allocator for ArenaAlloc {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        // SAFETY: the arena is live and exclusively used by this allocator (QuickJS calls it on
        // one thread at a time, the runtime's lock held).
        unsafe { self.malloc(size) }
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(n) = count.checked_mul(size) else {
            return self.refuse();
        };
        // SAFETY: as in `alloc`; the returned block has at least `n` writable bytes.
        unsafe {
            let p = self.malloc(n);
            if !p.is_null() {
                // The arena is reused: never rely on its bytes being zero.
                std::ptr::write_bytes(p, 0, n);
            }
            p
        }
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        // SAFETY: the caller passes a pointer this allocator returned and has not freed.
        unsafe { self.free(ptr) }
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        if ptr.is_null() {
            return self.alloc(new_size);
        }
        // SAFETY: as in `dealloc`.
        unsafe { ArenaAlloc::realloc(self, ptr, new_size) }
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: `ptr` was returned by an arena allocator: its block header is the 16 bytes
        // before it, and the size word is the second.
        unsafe { (*ptr.sub(8).cast::<usize>() & !FLAGS) - HEADER }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Walks every block from the start to the top, checking the boundary tags, the bins and
    /// invariant 3; returns (used bytes, free bytes).
    fn check(a: &ArenaAlloc) -> (usize, usize) {
        unsafe {
            let m = &*a.meta();
            let (mut used, mut free) = (0, 0);
            let mut b = META_SIZE;
            let mut prev_free = false;
            let mut prev_size = 0;
            while b < m.top {
                let s = a.size(b);
                let f = a.flags(b);
                assert!(s >= MIN_BLOCK && s.is_multiple_of(16), "size {s}");
                assert_eq!(f & PREV_INUSE == 0, prev_free, "prev flag at {b}");
                if prev_free {
                    assert_eq!(*a.word(b), prev_size);
                }
                let is_free = f & INUSE == 0;
                assert!(!(is_free && prev_free), "adjacent free blocks");
                if is_free {
                    free += s;
                    // It is in its bin's list.
                    let mut x = m.bins[bin_of(s)];
                    while x != 0 && x != b {
                        x = *a.word(x + HEADER);
                    }
                    assert_eq!(x, b, "free block not in its bin");
                } else {
                    used += s;
                }
                prev_free = is_free;
                prev_size = s;
                b += s;
            }
            assert_eq!(b, m.top);
            assert!(!prev_free, "free block borders the top");
            assert_eq!(used, m.used);
            (used, free)
        }
    }

    fn bytes_are(p: *mut u8, n: usize, v: u8) -> bool {
        unsafe { std::slice::from_raw_parts(p, n) }
            .iter()
            .all(|&x| x == v)
    }

    #[test]
    fn bins_are_monotonic() {
        let mut last = 0;
        for s in (32..1 << 24).step_by(16) {
            let b = bin_of(s);
            assert!(b >= last);
            last = b;
        }
        assert!(bin_of(usize::MAX & !15) < NBINS);
    }

    #[test]
    fn frees_merge_and_return_to_the_top() {
        let mut a = ArenaAlloc::new(1 << 20).unwrap();
        let p: Vec<*mut u8> = (0..10).map(|i| a.alloc(100 + i * 50)).collect();
        check(&a);
        for &x in p.iter().step_by(2) {
            unsafe { a.dealloc(x) };
        }
        check(&a);
        for &x in p.iter().skip(1).step_by(2) {
            unsafe { a.dealloc(x) };
        }
        assert_eq!(check(&a), (0, 0));
        assert_eq!(ArenaAlloc::top(a.at()), META_SIZE);
    }

    #[test]
    fn a_full_arena_refuses_and_counts() {
        let mut a = ArenaAlloc::new(64 * 1024).unwrap();
        let mut n = 0;
        while !a.alloc(4000).is_null() {
            n += 1;
        }
        assert!(n >= 10);
        assert_eq!(ArenaAlloc::refused(a.at()), 1);
        assert!(a.refused.get());
        assert!(a.alloc(usize::MAX - 4).is_null());
        assert!(a.calloc(usize::MAX, 2).is_null());
        check(&a);
    }

    #[test]
    fn churn_never_exhausts_the_arena() {
        // Garbage of every size, freed and allocated again, fits a 4 MiB arena forever: a bump
        // allocator would run out after the first few rounds.
        let mut a = ArenaAlloc::new(4 << 20).unwrap();
        for round in 0..200 {
            let ps: Vec<*mut u8> = (1..60).map(|i| a.alloc(i * 997 + round)).collect();
            assert!(ps.iter().all(|p| !p.is_null()), "round {round}");
            for p in ps {
                unsafe { a.dealloc(p) };
            }
        }
        assert_eq!(check(&a), (0, 0));
    }

    proptest! {
        #[test]
        fn random_ops_keep_the_invariants(ops in proptest::collection::vec((0u8..4, 1usize..20_000, any::<u8>()), 1..300)) {
            let mut a = ArenaAlloc::new(8 << 20).unwrap();
            let mut live: Vec<(*mut u8, usize, u8)> = Vec::new();
            for (op, n, fill) in ops {
                match op {
                    0 | 1 => {
                        let p = if op == 0 { a.alloc(n) } else { a.calloc(1, n) };
                        prop_assert!(!p.is_null());
                        prop_assert!((p as usize).is_multiple_of(16));
                        let usable = unsafe { ArenaAlloc::usable_size(p) };
                        prop_assert!(usable >= n);
                        if op == 1 {
                            let zero = bytes_are(p, n, 0);
                            prop_assert!(zero);
                        }
                        unsafe { std::ptr::write_bytes(p, fill, n) };
                        live.push((p, n, fill));
                    }
                    2 if !live.is_empty() => {
                        let (p, m, f) = live.swap_remove(n % live.len());
                        let kept = bytes_are(p, m, f);
                        prop_assert!(kept);
                        unsafe { a.dealloc(p) };
                    }
                    3 if !live.is_empty() => {
                        let i = n % live.len();
                        let (p, m, f) = live[i];
                        let q = unsafe { Allocator::realloc(&mut a, p, n) };
                        prop_assert!(!q.is_null());
                        let keep = m.min(n);
                        let kept = bytes_are(q, keep, f);
                        prop_assert!(kept);
                        unsafe { std::ptr::write_bytes(q, f, n) };
                        live[i] = (q, n, f);
                    }
                    _ => {}
                }
                check(&a);
            }
            for (p, _, _) in live {
                unsafe { a.dealloc(p) };
            }
            prop_assert_eq!(check(&a), (0, 0));
        }
    }

    #[test]
    fn charges_as_the_fresh_path_does() {
        // The same requests against the same cap: the same ones are refused.
        let mut fresh = crate::heap::CappedAlloc::new(64 * 1024, Refused::default());
        let mut arena = ArenaAlloc::capped(1 << 20, 64 * 1024, Refused::default()).unwrap();
        for n in [
            1usize, 15, 16, 17, 100, 4000, 4096, 10_000, 30_000, 20_000, 5,
        ] {
            let (f, z) = (fresh.alloc(n), arena.alloc(n));
            assert_eq!(f.is_null(), z.is_null(), "{n}");
            if !f.is_null() {
                assert_eq!(
                    unsafe { crate::heap::CappedAlloc::usable_size(f) },
                    unsafe { ArenaAlloc::usable_size(z) }
                );
            }
        }
    }
}
