//! The run's heap cap, enforced by miniperm's allocator (issue 9, "honest ends"), the same on
//! both paths: a fresh runtime's [`CappedAlloc`] and the zygote's arena (`zygote/arena.rs`)
//! charge a request the same block size ([`block_size`]) against the same cap and set the same
//! [`Refused`] flag.
//!
//! QuickJS's own cap (`malloc_limit`) refuses an allocation before it reaches the allocator and
//! tells nobody but the program, as a catchable `InternalError: out of memory`: a program whose
//! promise chain or `try` swallowed it ran on and ended `idle`. Here the allocator refuses, and
//! every refusal sets a [`Refused`] flag the host reads after each call into JS (and the
//! interrupt handler at its next poll), so the run ends with the memory `limit` whatever the
//! program did with the error.
//!
//! Both paths charge a request the same: its block size ([`block_size`], the request plus a
//! 16-byte header, rounded to 16), and give it back when the block is freed; a shrinking
//! `realloc` keeps its block and its charge. The zygote's arena does it over its region; a
//! fresh runtime uses [`CappedAlloc`], over Rust's global allocator with the same header and the
//! same usable sizes, so QuickJS (which sizes some buffers by their usable size) makes the same
//! requests on both paths.
//!
//! An audited module (with `bytecode` and `zygote`): [`CappedAlloc`] implements rquickjs's
//! unsafe `Allocator` trait over raw blocks; every `unsafe` block states why it is sound.
#![allow(unsafe_code)]

use std::alloc::Layout;
use std::cell::Cell;
use std::rc::Rc;

use rquickjs::allocator::Allocator;

/// A block's header: the allocator's two words before the pointer it hands out.
pub(crate) const HEADER: usize = 16;
/// The smallest block (a free block of the arena holds two links after its header).
pub(crate) const MIN_BLOCK: usize = 32;

/// The block size that serves a request of `n` bytes, or None if it cannot be represented:
/// what both paths charge against the cap.
pub(crate) fn block_size(n: usize) -> Option<usize> {
    let s = n.checked_add(HEADER + 15)? & !15;
    Some(s.max(MIN_BLOCK))
}

/// Set when an allocation of the run was refused (its memory cap, or no memory at all).
#[derive(Clone, Default)]
pub(crate) struct Refused(Rc<Cell<bool>>);

impl Refused {
    pub(crate) fn set(&self) {
        self.0.set(true);
    }

    pub(crate) fn get(&self) -> bool {
        self.0.get()
    }

    pub(crate) fn clear(&self) {
        self.0.set(false);
    }
}

/// A fresh runtime's allocator: Rust's global allocator under a cap of `cap` bytes of blocks.
pub(crate) struct CappedAlloc {
    cap: usize,
    used: usize,
    refused: Refused,
}

/// Blocks are 16-aligned, as the arena's, so the pointer after the header is too.
const ALIGN: usize = 16;

impl CappedAlloc {
    pub(crate) fn new(cap: usize, refused: Refused) -> CappedAlloc {
        CappedAlloc {
            cap,
            used: 0,
            refused,
        }
    }

    fn refuse(&self) -> *mut u8 {
        self.refused.set();
        std::ptr::null_mut()
    }

    /// The block size recorded in the header of `ptr` (a pointer this allocator returned).
    ///
    /// # Safety
    /// `ptr` was returned by a `CappedAlloc` and not freed.
    unsafe fn charge_of(ptr: *mut u8) -> usize {
        // SAFETY: per the contract, the header's second word (8 bytes before `ptr`, aligned)
        // holds the block size written by `take` or `realloc`.
        unsafe { ptr.sub(8).cast::<usize>().read() }
    }

    fn take(&mut self, n: usize, zeroed: bool) -> *mut u8 {
        let Some(need) = block_size(n) else {
            return self.refuse();
        };
        if self.used.saturating_add(need) > self.cap {
            return self.refuse();
        }
        let Ok(layout) = Layout::from_size_align(need, ALIGN) else {
            return self.refuse();
        };
        // SAFETY: `layout` has a non-zero size (a block is at least 32 bytes).
        let base = unsafe {
            if zeroed {
                std::alloc::alloc_zeroed(layout)
            } else {
                std::alloc::alloc(layout)
            }
        };
        if base.is_null() {
            return self.refuse();
        }
        self.used += need;
        // SAFETY: the block has `need >= 32` bytes: the header's second word and the caller's
        // bytes after the 16-byte header are inside it, and 16-aligned base keeps both aligned.
        unsafe {
            base.add(8).cast::<usize>().write(need);
            base.add(HEADER)
        }
    }
}

// SAFETY (trait contract): every pointer returned is 16-aligned (a 16-aligned block plus the
// 16-byte header) with at least the requested bytes before the block's end (`block_size` adds
// the header and rounds up); `usable_size` reads the block size this allocator wrote before
// every pointer it returns; null is returned when a request cannot be served.
unsafe impl Allocator for CappedAlloc {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.take(size, false)
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(n) = count.checked_mul(size) else {
            return self.refuse();
        };
        self.take(n, true)
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        // SAFETY: the caller passes a pointer this allocator returned and has not freed; its
        // block starts 16 bytes before it, with the layout `take` or `realloc` allocated.
        unsafe {
            let size = Self::charge_of(ptr);
            self.used -= size;
            let layout = Layout::from_size_align_unchecked(size, ALIGN);
            std::alloc::dealloc(ptr.sub(HEADER), layout);
        }
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        if ptr.is_null() {
            return self.alloc(new_size);
        }
        let Some(need) = block_size(new_size) else {
            return self.refuse();
        };
        // SAFETY: as in `dealloc`.
        let size = unsafe { Self::charge_of(ptr) };
        // As the arena: a block large enough already is kept, charge and all.
        if need <= size {
            return ptr;
        }
        if (self.used - size).saturating_add(need) > self.cap {
            return self.refuse();
        }
        // SAFETY: the block was allocated with this layout; `need` is a non-zero multiple of 16
        // that does not overflow (`block_size` checked it). On success the header is rewritten
        // in the new block; on failure the old block is untouched and still owned by QuickJS.
        unsafe {
            let layout = Layout::from_size_align_unchecked(size, ALIGN);
            let base = std::alloc::realloc(ptr.sub(HEADER), layout, need);
            if base.is_null() {
                return self.refuse();
            }
            self.used = self.used - size + need;
            base.add(8).cast::<usize>().write(need);
            base.add(HEADER)
        }
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: `ptr` was returned by a `CappedAlloc` (the caller's contract).
        unsafe { Self::charge_of(ptr) - HEADER }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_cap_and_says_so() {
        let r = Refused::default();
        let mut a = CappedAlloc::new(4096, r.clone());
        let p = a.alloc(1000);
        assert!(!p.is_null() && (p as usize).is_multiple_of(16));
        assert_eq!(unsafe { CappedAlloc::usable_size(p) }, 1008);
        assert!(!r.get());
        // 1024 + 4096 > 4096: refused, flagged, and nothing is charged.
        assert!(a.alloc(4000).is_null());
        assert!(r.get());
        assert_eq!(a.used, 1024);
        r.clear();
        // Growing past the cap is refused; shrinking keeps the block.
        assert!(unsafe { a.realloc(p, 5000) }.is_null());
        assert!(r.get());
        assert_eq!(unsafe { a.realloc(p, 10) }, p);
        let z = a.calloc(10, 100);
        assert!(
            unsafe { std::slice::from_raw_parts(z, 1000) }
                .iter()
                .all(|&b| b == 0)
        );
        unsafe { std::ptr::write_bytes(p, 7, 1000) };
        let q = unsafe { a.realloc(p, 2000) };
        assert!(!q.is_null());
        assert!(
            unsafe { std::slice::from_raw_parts(q, 1000) }
                .iter()
                .all(|&b| b == 7)
        );
        unsafe {
            a.dealloc(q);
            a.dealloc(z);
        }
        assert_eq!(a.used, 0);
        assert!(a.calloc(usize::MAX, 2).is_null());
    }
}
