//! Every test `SECURITY.md` names exists: a `path::function` reference there must be a file of
//! this repository that defines `fn function`.

use std::path::Path;

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
            source.contains(&format!("fn {function}("))
                || source.contains(&format!("fn {function}<")),
            "SECURITY.md names {reference}, which does not exist"
        );
        checked += 1;
    }
    assert!(checked > 80, "only {checked} references found");
}
