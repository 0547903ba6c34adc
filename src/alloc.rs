//! The process's allocator: mimalloc, which takes 40% off a statement's time (allocation was
//! half of every statement's instructions with the system allocator).
//!
//! [`configure`] keeps its peak resident memory near the system allocator's (the bound on
//! reading a large models.py, tests/schema_models_py.rs): freed memory goes back to the system
//! at once (`purge_delay` 0), and the process takes no transparent huge pages (mimalloc asks
//! for them, and a 2 MB page half used counts whole).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its `mimalloc.h`, v3).
const PURGE_DELAY: i32 = 15;

unsafe extern "C" {
    fn mi_option_set(option: i32, value: std::ffi::c_long);
}

/// Set the allocator's options; the binary calls it first thing.
pub fn configure() {
    // SAFETY: mimalloc's options are plain integers it reads when it purges; the option id is
    // one of its enumeration's. The prctl call takes integer arguments only and changes no
    // memory; its failure (an old kernel) leaves huge pages allowed.
    unsafe {
        mi_option_set(PURGE_DELAY, 0);
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
