//! The C allocator's settings, for the CLI (an application; a library leaves them alone).

use napi_derive::napi;

/// Pins glibc's mmap and trim thresholds at their initial values for the rest of the
/// process (see `shutterproof_core::freed_memory::pin_allocator_thresholds`). Returns
/// whether it took effect: `false` where the C library is not glibc.
#[napi]
pub fn native_pin_allocator_thresholds() -> bool {
    shutterproof_core::freed_memory::pin_allocator_thresholds()
}
