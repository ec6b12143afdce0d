//! Replays Better-Auth 1.7.25's recorded exchanges (files 01-13 and 18 of
//! `tests/fixtures/transcripts/`) against authgate on every backend: same statuses, bodies,
//! `Set-Cookie` attributes and caching headers, with ids, tokens and dates normalised.

mod common;

use std::path::PathBuf;

use common::replay::{Deviation, OffRecord, Replay, parse};
use common::{Backend, Client, TestDatabase, app_router, serve};

const CORE_FILES: &[&str] = &[
    "01-signup-ok.txt",
    "02-signup-duplicate.txt",
    "03-signup-password-length.txt",
    "04-signup-invalid-email.txt",
    "05-signup-missing-name.txt",
    "06-signup-malformed-json.txt",
    "07-signup-wrong-content-type.txt",
    "08-signin-ok.txt",
    "09-signin-wrong-password.txt",
    "10-signin-unknown-email.txt",
    "11-get-session-cookie.txt",
    "12-get-session-none.txt",
    "13-get-session-tampered.txt",
    "18-sign-out.txt",
];

/// Bearer tokens, session management and the origin checks, replayed after the core files on
/// the same database (as they were recorded).
const SESSION_FILES: &[&str] = &[
    "14-bearer.txt",
    "15-list-sessions.txt",
    "16-revoke-other-sessions.txt",
    "17-change-password.txt",
    "19-csrf-origin.txt",
];

/// Where Better-Auth answers a client mistake with an empty body, authgate answers with a
/// status and a `{"message","code"}` body (COMPATIBILITY.md).
const DEVIATIONS: &[Deviation] = &[
    Deviation::Answer {
        title: "sign-up with GET method",
        status: 405,
        body: r#"{"message":"Method not allowed","code":"METHOD_NOT_ALLOWED"}"#,
    },
    // Unsigned bearer tokens are refused (Better-Auth signs them itself, then looks them up).
    Deviation::Answer {
        title: "[bearer] get-session with Authorization: Bearer <raw unsigned session token>",
        status: 200,
        body: "null",
    },
    Deviation::Answer {
        title: "[bearer] get-session with garbage bearer",
        status: 200,
        body: "null",
    },
    // Signed bearer tokens are always accepted; Better-Auth needs its bearer plugin for them.
    Deviation::Contains {
        title: "[plain server, no bearer plugin] get-session with Authorization: Bearer",
        status: 200,
        fragment: r#""email":"bea@example.com""#,
    },
    // `X-Forwarded-For: 198.51.100.23, 10.0.0.1` from the trusted proxy 127.0.0.1: the nearest
    // untrusted hop is the client. Better-Auth refuses multi-hop headers without trusted
    // proxies and records "".
    Deviation::Rewrite {
        title: "list-sessions (alice, cookie session 1)",
        ours: r#""ipAddress":"10.0.0.1""#,
        theirs: r#""ipAddress":"""#,
    },
];

/// Sessions the recording created without recording the exchange.
const OFF_RECORD: &[OffRecord] = &[
    OffRecord {
        token: "V7nr6ixUsBP4WmicXqgZyOymjJoV67ik",
        email: "alice@example.com",
        password: "password123",
    },
    OffRecord {
        token: "qA4ds7rpEM0RrXvQUNmRvKWbk1HFZbYX",
        email: "alice@example.com",
        password: "password123",
    },
    OffRecord {
        token: "cAOmoK2fRYrKTB24easUsXSlCGWBvigW",
        email: "alice@example.com",
        password: "password123",
    },
    OffRecord {
        token: "5EuYwhR4KsWlSSuAJxoBzm6jOEudgNV4",
        email: "alice@example.com",
        password: "password123",
    },
];

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transcripts")
        .join(name)
}

/// The recording's configuration: its secret, base URL and trusted origin. Peer 127.0.0.1 is a
/// trusted proxy so that `X-Forwarded-For` is believed, as the recording's curl requests assume.
pub fn recorded_configuration() -> authgate::AuthBuilder {
    authgate::Auth::builder()
        .env_source(|_| None)
        .secret(common::ORACLE_SECRET)
        .base_url("http://localhost:4100")
        .trusted_origin("http://localhost:3000")
        .trusted_proxies(["127.0.0.1"])
}

async fn replay_core_transcripts(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = recorded_configuration()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;

    let mut replay = Replay::new(Client::new(addr), &auth);
    replay.off_record = OFF_RECORD;
    replay.deviations = DEVIATIONS;
    for file in CORE_FILES {
        for exchange in parse(&fixture(file)) {
            replay.exchange(&exchange).await;
        }
    }
    assert_eq!(
        replay.replayed, 51,
        "every recorded exchange of the core files is replayed"
    );
    assert!(
        replay.failures.is_empty(),
        "{} of {} exchanges differ:\n{}",
        replay.failures.len(),
        replay.replayed,
        replay.failures.join("\n")
    );
}

async fn replay_session_transcripts(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = recorded_configuration()
        .set_auth_token_header(true)
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;

    let mut replay = Replay::new(Client::new(addr), &auth);
    replay.off_record = OFF_RECORD;
    replay.deviations = DEVIATIONS;
    for file in CORE_FILES {
        for exchange in parse(&fixture(file)) {
            replay.exchange(&exchange).await;
        }
    }
    replay.failures.clear();
    for file in SESSION_FILES {
        for exchange in parse(&fixture(file)) {
            replay.exchange(&exchange).await;
        }
    }
    assert!(
        replay.failures.is_empty(),
        "{} of {} exchanges differ:\n{}",
        replay.failures.len(),
        replay.replayed,
        replay.failures.join("\n")
    );
}

backend_tests!(replay_core_transcripts, replay_session_transcripts);
