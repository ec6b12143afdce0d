//! Replays Better-Auth 1.7.25's recorded exchanges (`tests/fixtures/transcripts/`) against
//! authgate on every backend: same statuses, bodies, `Set-Cookie` attributes, caching headers,
//! `set-auth-token` and `Access-Control-Expose-Headers`, with ids, tokens and dates normalised.

mod common;

use common::replay::{Deviation, Exchange, OffRecord, Replay, Wait};
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
/// the same database (as they were recorded). 14 talks to two servers: the plain one on port
/// 4100 (as every other file) and one with the bearer plugin on 4101.
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
    OffRecord::sign_in(
        "18-sign-out.txt",
        "V7nr6ixUsBP4WmicXqgZyOymjJoV67ik",
        "alice@example.com",
    ),
    OffRecord::sign_in(
        "19-csrf-origin.txt",
        "qA4ds7rpEM0RrXvQUNmRvKWbk1HFZbYX",
        "alice@example.com",
    ),
    OffRecord::sign_in(
        "19-csrf-origin.txt",
        "cAOmoK2fRYrKTB24easUsXSlCGWBvigW",
        "alice@example.com",
    ),
    OffRecord::sign_in(
        "19-csrf-origin.txt",
        "5EuYwhR4KsWlSSuAJxoBzm6jOEudgNV4",
        "alice@example.com",
    ),
];

/// The recording's configuration: its base URL and trusted origin. Peer 127.0.0.1 is a trusted
/// proxy so that `X-Forwarded-For` is believed, as the recording's curl requests assume. The
/// recording's secret (`common::ORACLE_SECRET`) is one authgate refuses, made of sequences: the
/// app signs with a strong secret, and the replay re-signs the recorded cookies
/// (`replay::sign_like_better_auth`).
pub fn recorded_configuration() -> authgate::AuthBuilder {
    authgate::Auth::builder()
        .environment(|_| None)
        .secret(common::TEST_SECRET)
        .base_url("http://localhost:4100")
        .trusted_origin("http://localhost:3000")
        .trusted_proxies(["127.0.0.1"])
        // The recordings were made without rate limits (Better-Auth outside production).
        .rate_limit(authgate::RateLimit::disabled())
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
        replay.file(file, |_| true).await;
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

/// The recorded bearer server's `Host`: Better-Auth with its `bearer` plugin, which sends
/// `set-auth-token` (authgate's `set_auth_token_header(true)`).
const BEARER_HOST: &str = "127.0.0.1:4101";

async fn replay_session_transcripts(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = recorded_configuration()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    // The bearer server of 14, on the same database and secret.
    let bearer = recorded_configuration()
        .set_auth_token_header(true)
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    let (bearer_addr, _bearer_server) = serve(app_router(&bearer)).await;

    let mut replay = Replay::new(Client::new(addr), &auth);
    replay.servers = vec![(BEARER_HOST, Client::new(bearer_addr))];
    replay.off_record = OFF_RECORD;
    replay.deviations = DEVIATIONS;
    for file in CORE_FILES {
        replay.file(file, |_| true).await;
    }
    assert_eq!(replay.replayed, 51, "the core files, as in the core replay");
    for file in SESSION_FILES {
        replay.file(file, |_| true).await;
    }
    assert_eq!(
        replay.replayed,
        51 + 49,
        "every recorded exchange of the session files (14: 14, 15: 2, 16: 8, 17: 10, 19: 15)"
    );
    assert!(
        replay.failures.is_empty(),
        "{} of {} exchanges differ:\n{}",
        replay.failures.len(),
        replay.replayed,
        replay.failures.join("\n")
    );
}

/// The account lifecycle recordings (42-46), on the `[email]` configuration: change-email,
/// update-user, delete-user, revocations and refresh.
const ACCOUNT_FILES: &[&str] = &[
    "42-change-email.txt",
    "43-update-user.txt",
    "44-delete-user.txt",
    "45-revoke.txt",
    "46-refresh.txt",
];

/// Their quiet set-ups, as the notes in the recordings describe them.
const ACCOUNT_OFF_RECORD: &[OffRecord] = &[
    OffRecord::sign_up(
        "42-change-email.txt",
        "IRj1SmfYjqxnwoLPNbBZzCAWkvu6KidL",
        "cora@example.com",
    ),
    OffRecord::sign_up(
        "42-change-email.txt",
        "hIq3Dx32fl9jFmljN437sakNjhZ26MDy",
        "vera@example.com",
    )
    .verified(),
    OffRecord::sign_up(
        "42-change-email.txt",
        "kboQHrrr1xNiy4SaOlAQIU3JQB7FkWVV",
        "dora@example.com",
    )
    .verified(),
    OffRecord::sign_up(
        "42-change-email.txt",
        "r1l3AuRlA8svlT24ozeYw42o80DXIFOt",
        "ella@example.com",
    ),
    OffRecord::sign_up(
        "43-update-user.txt",
        "0lHhIctu7DDsH2M8ziWSorBsMzduKuy9",
        "uma@example.com",
    ),
    OffRecord::sign_in(
        "43-update-user.txt",
        "y5CJN9upEf7kDAkQMb20CRxAzyB0MgGQ",
        "uma@example.com",
    )
    .not_remembered(),
    OffRecord::sign_up(
        "44-delete-user.txt",
        "WncIHoKaAezzA11VjUlviJMoArDFztVa",
        "dan@example.com",
    ),
    OffRecord::sign_in(
        "44-delete-user.txt",
        "w3v2cO8OC2Asf3wLnWjAnKE4HGgfBgj4",
        "dan@example.com",
    ),
    OffRecord::sign_up(
        "44-delete-user.txt",
        "EK5hHxWUDVz75H1sKu96JdkU6oHT5FiD",
        "ed@example.com",
    ),
    OffRecord::sign_up(
        "44-delete-user.txt",
        "TWZPdj8LnH6TDNUsa0WbK8scRX7eXmOG",
        "ed2@example.com",
    ),
    OffRecord::sign_up(
        "45-revoke.txt",
        "8TASJWoTUXXgWKC7MgSNJaZzfqQ6TGXq",
        "rhea@example.com",
    )
    .user_agent("agent-one/1.0")
    .forwarded_for("203.0.113.5"),
    OffRecord::sign_in(
        "45-revoke.txt",
        "D8riDwpwLk1NBhH6qpQa2pS0T8UQFEC5",
        "rhea@example.com",
    )
    .user_agent("agent-two/2.0"),
    OffRecord::sign_in(
        "45-revoke.txt",
        "3QSyPGtFFmsFbrX8J98NIfDm8sB4M164",
        "rhea@example.com",
    )
    .not_remembered(),
    OffRecord::sign_in(
        "45-revoke.txt",
        "ccznrl2TqAqhvvTqGnzZUE60zlPFaWT4",
        "rhea@example.com",
    ),
    OffRecord::sign_up(
        "45-revoke.txt",
        "7AGrgOAn5l58aiZppvpcQDo1bChSspGE",
        "sid@example.com",
    ),
    OffRecord::sign_in(
        "45-revoke.txt",
        "S3E0UJBMOVmCxHhFxQga57GYvFgyNd0G",
        "sid@example.com",
    ),
    OffRecord::sign_up(
        "46-refresh.txt",
        "l2ZPLW0ALaxuqwV9dYQLQxT89CZnxj4O",
        "rex@example.com",
    ),
    OffRecord::sign_up(
        "46-refresh.txt",
        "MLfraUorFlJXGnFLFnCNehZ91J3xX5m9",
        "nora@example.com",
    )
    .not_remembered(),
];

/// Where these apps answer differently (COMPATIBILITY.md): they have no mailer, so a change
/// of address is immediate for unverified users and refused for verified ones
/// (`transcripts_mail.rs` replays 42 with a mailer, as recorded).
const ACCOUNT_DEVIATIONS: &[Deviation] = &[
    // Changed at once (Better-Auth's updateEmailWithoutVerification, re-sending the cookie)
    // where Better-Auth without that option mails a link and changes nothing yet.
    Deviation::Answer {
        title: "[email] change-email (unverified user, no updateEmailWithoutVerification) -> mail to the NEW address",
        status: 200,
        body: r#"{"status":true}"#,
    },
    Deviation::Answer {
        title: "[email] change-email to the same email",
        status: 400,
        body: r#"{"message":"Email is the same","code":"EMAIL_IS_THE_SAME"}"#,
    },
    Deviation::Answer {
        title: "[email] change-email to the same email in upper case",
        status: 400,
        body: r#"{"message":"Email is the same","code":"EMAIL_IS_THE_SAME"}"#,
    },
    // The previous change already took effect (no verification mail to wait for).
    Deviation::Answer {
        title: "[email] change-email again with callbackURL=/settings",
        status: 400,
        body: r#"{"message":"Email is the same","code":"EMAIL_IS_THE_SAME"}"#,
    },
    Deviation::Answer {
        title: "[email] change-email (verified user, no sendChangeEmailConfirmation) -> mail to the NEW address",
        status: 400,
        body: r#"{"message":"Verification email isn't enabled","code":"VERIFICATION_EMAIL_NOT_ENABLED"}"#,
    },
    Deviation::Rewrite {
        title: "[email] get-session (dora)",
        ours: r#""email":"dora@example.com","emailVerified":true"#,
        theirs: r#""email":"dora.new@example.com","emailVerified":true"#,
    },
    Deviation::Answer {
        title: "[email] update-user {name: 42} (not a string)",
        status: 400,
        body: r#"{"message":"[body.name] Invalid input: expected string, received number","code":"VALIDATION_ERROR"}"#,
    },
    Deviation::Answer {
        title: "[email] update-user {name: null}",
        status: 400,
        body: r#"{"message":"[body.name] Invalid input: expected string, received null","code":"VALIDATION_ERROR"}"#,
    },
    Deviation::Answer {
        title: "[email] update-user {}",
        status: 400,
        body: r#"{"message":"No fields to update","code":"NO_FIELDS_TO_UPDATE"}"#,
    },
    Deviation::Answer {
        title: "[email] update-user {emailVerified: true}",
        status: 400,
        body: r#"{"message":"No fields to update","code":"NO_FIELDS_TO_UPDATE"}"#,
    },
    Deviation::Answer {
        title: "[email] update-user {emailVerified: false}",
        status: 400,
        body: r#"{"message":"No fields to update","code":"NO_FIELDS_TO_UPDATE"}"#,
    },
    Deviation::Answer {
        title: "[email] update-user {id}",
        status: 400,
        body: r#"{"message":"No fields to update","code":"NO_FIELDS_TO_UPDATE"}"#,
    },
];

/// Endpoints that need a mailer (verification links, password reset, deletion links): this
/// replay's apps have none; `transcripts_mail.rs` replays these exchanges (and 44 whole but
/// for its `[short]` ones, which `replay_short_delete_user` covers) on apps with a mailer.
fn needs_email(exchange: &Exchange) -> bool {
    [
        "/verify-email",
        "/reset-password",
        "/request-password-reset",
        "/send-verification-email",
        "/delete-user/callback",
    ]
    .iter()
    .any(|path| exchange.path.contains(path))
}

fn account_exchange(exchange: &Exchange) -> bool {
    let email_variant = exchange.title.starts_with("[email]");
    let immediate_change = exchange
        .title
        .starts_with("[confirm] change-email, unverified user");
    (email_variant || immediate_change) && !needs_email(exchange)
}

async fn replay_account_transcripts(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = recorded_configuration()
        .change_email(true)
        .delete_user(true)
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;

    let mut replay = Replay::new(Client::new(addr), &auth);
    replay.off_record = ACCOUNT_OFF_RECORD;
    replay.deviations = ACCOUNT_DEVIATIONS;
    for file in ACCOUNT_FILES {
        replay.file(file, account_exchange).await;
    }
    assert_eq!(
        replay.replayed, 67,
        "the exchanges account_exchange selects (42: 13, 43: 20, 44: 10, 45: 20, 46: 4)"
    );
    assert!(
        replay.failures.is_empty(),
        "{} of {} exchanges differ:\n{}",
        replay.failures.len(),
        replay.replayed,
        replay.failures.join("\n")
    );
}

/// The `[short]` configuration of the recordings: sessions of 30 s, refreshed after 5 s, fresh
/// for 10 s.
fn short_configuration() -> authgate::AuthBuilder {
    use std::time::Duration;
    recorded_configuration()
        .session_expires_in(Duration::from_secs(30))
        .session_update_age(Duration::from_secs(5))
        .session_fresh_age(Duration::from_secs(10))
        .delete_user(true)
}

const SHORT_OFF_RECORD: &[OffRecord] = &[
    OffRecord::sign_in(
        "[short] sign-in tom rememberMe=false (T2)",
        "kqvHkmUosxYLwl5NQjxDCilJPNlIVTAk",
        "tom@example.com",
    ),
    OffRecord::sign_in(
        "[short] sign-in tom rememberMe=false (T2)",
        "Hgn0DvATvtfVX5GetDl6cO9inQYeRx6r",
        "tom@example.com",
    ),
];

const T0: &str = "[short] sign-up tom (T1) -> Max-Age=30";

/// The recording's pauses, relative to T1's sign-up ("t0").
const SHORT_WAITS: &[Wait] = &[
    Wait {
        before: "[short] get-session T1 at t0+6s: refreshed (new expiresAt, Set-Cookie Max-Age=30)",
        since: T0,
        seconds: 6,
    },
    Wait {
        before: "[short] list-sessions T1 at t0+12s: not fresh any more (freshness counts from createdAt)",
        since: T0,
        seconds: 12,
    },
    Wait {
        before: "[short] get-session T3 (expired)",
        since: T0,
        seconds: 33,
    },
];

const SHORT_DEVIATIONS: &[Deviation] = &[
    Deviation::Unordered {
        title: "[short] list-sessions T1 at t0+6s (fresh: created less than freshAge 10 s ago)",
    },
    Deviation::Unordered {
        title: "[short] list-sessions T5",
    },
];

/// The `[short]` exchanges of 46 in real time (about 35 s): refresh after updateAge, freshness,
/// expiry, `disableRefresh`, and rememberMe=false sessions.
async fn replay_short_session_lifetimes(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = short_configuration()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;

    let mut replay = Replay::new(Client::new(addr), &auth);
    replay.off_record = SHORT_OFF_RECORD;
    replay.deviations = SHORT_DEVIATIONS;
    replay.waits = SHORT_WAITS;
    replay
        .file("46-refresh.txt", |e| e.title.starts_with("[short]"))
        .await;
    assert_eq!(replay.replayed, 14, "every [short] exchange of 46");
    assert!(
        replay.failures.is_empty(),
        "{} of {} exchanges differ:\n{}",
        replay.failures.len(),
        replay.replayed,
        replay.failures.join("\n")
    );
}

const STAN: &[OffRecord] = &[OffRecord::sign_up(
    "44-delete-user.txt",
    "lz869aYdviSogRmcZDK2oFayFd6lGrPq",
    "stan@example.com",
)];

/// 44's `[short]` exchanges: delete-user from a session older than freshAge needs the password.
async fn replay_short_delete_user(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = short_configuration()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;

    let mut replay = Replay::new(Client::new(addr), &auth);
    replay.off_record = STAN;
    // "signed up quietly about 18 s ago": older than freshAge, younger than expiresIn.
    replay.file("44-delete-user.txt", |_| false).await;
    assert_eq!(replay.replayed, 0, "only the set-up so far");
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    replay
        .file("44-delete-user.txt", |e| e.title.starts_with("[short]"))
        .await;
    assert_eq!(replay.replayed, 2, "both [short] exchanges of 44");
    assert!(replay.failures.is_empty(), "{}", replay.failures.join("\n"));
}

backend_tests!(
    replay_core_transcripts,
    replay_session_transcripts,
    replay_account_transcripts,
    replay_short_session_lifetimes,
    replay_short_delete_user,
);
