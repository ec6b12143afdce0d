//! Replays every fuzz corpus input and every crash file (`fuzz/corpus/<target>/`,
//! `fuzz/artifacts/<target>/`) through the same entry points the fuzzers drive, on stable, so
//! that what fuzzing found stays fixed.

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("cookie_header", authgate::fuzz::cookie_header),
    ("signed_value", authgate::fuzz::signed_value),
    ("bearer_header", authgate::fuzz::bearer_header),
    ("json_body", authgate::fuzz::json_body),
    ("redirect_target", authgate::fuzz::redirect_target),
];

fn replay(dir: &Path, target: Target) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut replayed = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_file() {
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{} fails", path.display());
            replayed += 1;
        }
    }
    replayed
}

#[test]
fn every_corpus_input_and_crash_file_passes() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, target) in TARGETS {
        let corpus = replay(&fuzz.join("corpus").join(name), *target);
        assert!(corpus > 0, "the {name} corpus is committed");
        replay(&fuzz.join("artifacts").join(name), *target);
    }
}

/// The checklist's redirect payloads (check 33) are refused by the validator itself.
#[test]
fn the_redirect_seed_payloads_hold_their_properties() {
    for payload in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "http://localhost:3000@evil.example",
        "/ok\r\nx",
    ] {
        authgate::fuzz::redirect_target(payload.as_bytes());
    }
}
