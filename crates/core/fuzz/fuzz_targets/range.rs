//! See shutterproof_core_fuzz::check_range.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shutterproof_core_fuzz::check_range(data));
