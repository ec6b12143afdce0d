//! Checks on the source itself (`SECURITY.md` 37 and 44): SQL is never assembled from
//! request data, and secrets are compared in constant time.

use std::path::Path;

fn source(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The one file allowed to assemble SQL text: the statements whose column lists depend on the
/// configured additional fields, built once per `Auth` from names checked as identifiers.
const DYNAMIC_SQL: &str = "src/store/dynamic_sql.rs";

/// Check 37: every statement is a static string with bound parameters; nothing formats or
/// asserts dynamic SQL in the library, but for `src/store/dynamic_sql.rs`, which funnels its
/// text through one `AssertSqlSafe` and quotes only checked identifiers.
#[test]
fn c37_no_sql_is_built_from_strings() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let dynamic = Path::new(env!("CARGO_MANIFEST_DIR")).join(DYNAMIC_SQL);
    assert!(files.contains(&dynamic), "{DYNAMIC_SQL} exists");
    for file in files {
        if file == dynamic {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in [
            "AssertSqlSafe",
            "query(&format!",
            "query(format!",
            "query_as(&format!",
            "query_scalar(&format!",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                file.display()
            );
        }
    }
    // The statements bind `$n`/`?` parameters; none contains a quote-delimited placeholder.
    let statements = source("src/store/statements.rs");
    assert!(!statements.contains("'{") && !statements.contains("{}"));

    // The audited file: one conversion to an executable statement, identifiers quoted only
    // after the identifier check, and no query executed there (the text leaves as `SqlStr`).
    let audited = source(DYNAMIC_SQL);
    let code = audited.split("#[cfg(test)]").next().unwrap();
    assert_eq!(
        code.matches("AssertSqlSafe(").count(),
        1,
        "one funnel into AssertSqlSafe"
    );
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(
        compact.matches("assert!(is_identifier(name),").count(),
        2,
        "both quoting functions check the identifier"
    );
    for forbidden in ["sqlx::query", "query(", ".execute(", ".fetch"] {
        assert!(
            !code.contains(forbidden),
            "{DYNAMIC_SQL} runs no statement ({forbidden})"
        );
    }
    // Field names reach the statements only through the quoting functions.
    assert!(!code.contains(".name}") && !code.contains("def.name)\""));
}

/// Check 44: MAC verification and password-key comparison are constant-time.
#[test]
fn c44_secrets_are_compared_in_constant_time() {
    let signing = source("src/crypto/signing.rs");
    assert!(
        signing.contains(".verify_slice(&expected)"),
        "cookie MACs use hmac's constant-time verify"
    );
    let password = source("src/crypto/password.rs");
    assert!(
        password.contains(".ct_eq(&expected[..])"),
        "password keys use subtle's ct_eq"
    );
    // No `==` between a computed secret and input in either file.
    for (name, text) in [("signing.rs", &signing), ("password.rs", &password)] {
        let code = text.split("#[cfg(test)]").next().unwrap();
        assert!(
            !code.contains("== expected") && !code.contains("expected =="),
            "{name}"
        );
    }
}
