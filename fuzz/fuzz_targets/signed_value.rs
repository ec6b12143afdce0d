#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| authgate::fuzz::signed_value(data));
