//! The demo page in headless Chromium: `tests/browser/e2e.mjs` (playwright-core driving the
//! system's Chromium) starts the services, clicks through sign-up, sign-in with remember-me,
//! a reload, a restart of the auth server, listing and revoking sessions, changing the
//! password and signing out, and calls both API services from the page (the Rust one on
//! `SessionLayer`, the Python one on `get-session`): each answers the signed-in user, 401
//! after sign-out. Screenshots go to `tests/output/browser/`.
//!
//! They need Chromium (`/usr/bin/chromium`, or `CHROMIUM`) and `npm ci --prefix tests/browser`,
//! so they are `#[ignore]`d for a plain `cargo test`; `bash .ci/run` installs both, runs them
//! and fails unless both pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::processes::example_binary;

/// One browser at a time: two would only slow each other down on a small machine.
static BROWSER: Mutex<()> = Mutex::new(());

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} is missing: install Debian's chromium (bash .ci/run does) or set CHROMIUM",
        path.display()
    );
    path
}

fn browser_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is missing: run `bash .ci/run` or `npm ci --prefix tests/browser`"
    );
    dir
}

fn run_e2e(mode: &str) {
    let _one_at_a_time = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let chromium = chromium();
    let dir = browser_dir();
    // Every example the script starts, built by `cargo test` along with this test.
    let bin_dir = example_binary("quickstart").parent().unwrap().to_owned();
    for name in [
        "three-services-auth",
        "three-services-api",
        "three-services-page",
    ] {
        example_binary(name);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = root.join("tests/output/browser");
    let work = std::env::temp_dir().join(format!("authgate-browser-{}-{mode}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&output).unwrap();
    let shots = ["signed-in", "signed-out"].map(|shot| output.join(format!("{mode}-{shot}.png")));
    for file in &shots {
        let _ = std::fs::remove_file(file);
    }
    let log_path = output.join(format!("{mode}.log"));
    let log = std::fs::File::create(&log_path).unwrap();

    let mut child = Command::new("node")
        .arg("e2e.mjs")
        .current_dir(&dir)
        .env("MODE", mode)
        .env("BIN_DIR", &bin_dir)
        .env("WORK_DIR", &work)
        .env("OUTPUT_DIR", &output)
        .env("CHROMIUM", &chromium)
        .env(
            "PYTHON_SERVICE",
            root.join("examples/three-services/python_service.py"),
        )
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("node runs");
    // Each wait inside the script is bounded (60 s); this only stops a run that hangs anyway.
    let deadline = Instant::now() + Duration::from_secs(900);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the {mode} browser test hung for 15 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = std::fs::remove_dir_all(&work);
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    println!("{log}");
    assert!(
        status.success(),
        "the {mode} browser test failed ({status}); screenshots in {}:\n{log}",
        output.display()
    );
    for file in &shots {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} was not written", file.display());
    }
}

#[test]
#[ignore = "needs Chromium and the browser test's npm install (bash .ci/run sets both up)"]
fn browser_same_origin() {
    run_e2e("same-origin");
}

#[test]
#[ignore = "needs Chromium and the browser test's npm install (bash .ci/run sets both up)"]
fn browser_cross_origin() {
    run_e2e("cross-origin");
}
