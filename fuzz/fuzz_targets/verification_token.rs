#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| authgate::fuzz::verification_token(data));
