//! Micro-benchmarks of the primitives under every request: generating a session token,
//! verifying a signed session cookie, verifying a cookie-cache value (Better-Auth's, recorded
//! in tests/fixtures/), and scrypt hashing and verifying a password.
//!
//! `cargo bench --bench primitives --features bench-internals`. Reported, never asserted.

use std::time::Duration;

use authgate::bench_internals as p;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const SECRET: &str = "kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";

fn benches(c: &mut Criterion) {
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/fixtures/better-auth-cookie-cache.json"
    ))
    .unwrap();
    let cache_secret = fixture["secret"].as_str().unwrap().to_owned();
    let cache_value = fixture["vectors"][0]["cookies"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(p::verify_cookie_cache(&cache_value, &cache_secret));
    let signed = p::sign("VocO25tpasHgAYbnltL5dHFfNiSzsK81", SECRET);
    assert!(p::verify_signed(&signed, SECRET));

    c.bench_function("generate a session token", |b| b.iter(p::new_token));
    c.bench_function("verify a signed session cookie", |b| {
        b.iter(|| assert!(p::verify_signed(black_box(&signed), SECRET)))
    });
    c.bench_function("verify a cookie-cache value (Better-Auth's)", |b| {
        b.iter(|| {
            assert!(p::verify_cookie_cache(
                black_box(&cache_value),
                &cache_secret
            ))
        })
    });

    let stored = p::hash_password("password123");
    let mut slow = c.benchmark_group("password (scrypt N=16384, r=16)");
    slow.sample_size(10)
        .measurement_time(Duration::from_secs(8));
    slow.bench_function("hash", |b| {
        b.iter(|| p::hash_password(black_box("password123")))
    });
    slow.bench_function("verify", |b| {
        b.iter(|| assert!(p::verify_password(black_box("password123"), &stored)))
    });
    slow.finish();
}

criterion_group!(primitives, benches);
criterion_main!(primitives);
