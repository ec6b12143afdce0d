//! Every test `SECURITY.md` names exists and runs: a `path::function` reference there must be a
//! file of this repository that defines `fn function` as a test (`#[test]`, `#[tokio::test]`,
//! or a function listed in a `backend_tests!` invocation, which runs it on every backend).

use std::path::Path;

/// The functions a `backend_tests!( ... );` invocation in `source` turns into tests.
fn backend_test_names(source: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for block in source.split("backend_tests!(").skip(1) {
        let body = block.split(");").next().unwrap_or_default();
        // `ignore = "...";` comes first in the ignored form.
        let list = body.rsplit_once(';').map_or(body, |(_, list)| list);
        names.extend(list.split(',').map(str::trim).filter(|n| !n.is_empty()));
    }
    names
}

/// Whether `source` defines `function` as a test.
fn is_test(source: &str, function: &str) -> bool {
    let definition = [format!("fn {function}("), format!("fn {function}<")]
        .into_iter()
        .find_map(|needle| source.find(&needle));
    let Some(at) = definition else {
        return false;
    };
    // The lines above the definition (the `async ` before `fn` is on the definition's line).
    let before = &source[..at];
    let above = before.rsplit_once('\n').map_or("", |(above, _)| above);
    above
        .lines()
        .rev()
        .take_while(|line| {
            let line = line.trim();
            line.starts_with("#[") || line.starts_with("//")
        })
        .any(|line| line.contains("#[test]") || line.contains("#[tokio::test"))
        || backend_test_names(source).contains(&function)
}

#[test]
fn every_test_named_in_security_md_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("SECURITY.md")).unwrap();
    let mut checked = 0;
    for reference in map.split('`').skip(1).step_by(2) {
        let Some((file, function)) = reference.rsplit_once("::") else {
            continue;
        };
        if !file.ends_with(".rs") {
            continue;
        }
        let source = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|_| panic!("SECURITY.md names {file}, which does not exist"));
        assert!(
            is_test(&source, function),
            "SECURITY.md names {reference}, which is not a test"
        );
        checked += 1;
    }
    assert!(checked > 80, "only {checked} references found");
}

#[test]
fn the_check_itself_tells_tests_from_other_functions() {
    let source = "backend_tests!(\n    first,\n    second,\n);\n\nfn helper() {}\n\n#[test]\nfn plain() {}\n\n#[tokio::test]\nasync fn asynchronous() {}\n\nasync fn first(backend: Backend) {}\nasync fn second(backend: Backend) {}\n";
    for test in ["first", "second", "plain", "asynchronous"] {
        assert!(is_test(source, test), "{test}");
    }
    assert!(!is_test(source, "helper"));
    assert!(!is_test(source, "missing"));
    let ignored = "backend_tests!(\n    ignore = \"why; because\";\n    slow_one\n);\nasync fn slow_one(b: B) {}\n";
    assert!(is_test(ignored, "slow_one"));
}
