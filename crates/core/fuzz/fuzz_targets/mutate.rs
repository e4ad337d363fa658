//! See shutterproof_core_fuzz::mutate.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shutterproof_core_fuzz::mutate::{check, Case};

fuzz_target!(|case: Case| check(&case));
