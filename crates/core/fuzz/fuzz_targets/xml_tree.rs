//! See shutterproof_core_fuzz::check_xml_tree.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shutterproof_core_fuzz::check_xml_tree(data));
