#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| authgate::fuzz::bearer_header(data));
