//! Replays Better-Auth 1.7.25's account-mail recordings (`tests/fixtures/transcripts/` 40, 41,
//! 42, 44 and 47) against authgate on every backend: six apps on one database, configured like
//! the recording's six servers and sharing one mailer. Besides the exchanges (statuses, bodies,
//! cookies, `Location`), every mail the recording's callbacks received is paired with ours:
//! same recipient and kind, and the same link once the recorded token is replaced by ours.

mod common;

use std::time::Duration;

use authgate::TokenStorage;
use common::mail::CaptureMailer;
use common::replay::{Deviation, OffRecord, Replay, Wait};
use common::{Backend, Client, TestDatabase, app_router, q, scalar, serve};

/// The recording's base: its secret, base URL, trusted origin, no rate limits; and what all
/// six servers of 40-47 had: verification on sign-up with auto sign-in, one-hour tokens,
/// change-email and delete-user on, Better-Auth's reset defaults (plain tokens, sessions kept).
fn mail_configuration(mailer: &CaptureMailer) -> authgate::AuthBuilder {
    authgate::Auth::builder()
        .environment(|_| None)
        // The recording's secret is one authgate refuses (made of sequences): the replay
        // re-signs recorded cookies and JWTs with this one.
        .secret(common::TEST_SECRET)
        .base_url("http://localhost:4100")
        .trusted_origin("http://localhost:3000")
        .trusted_proxies(["127.0.0.1"])
        .rate_limit(authgate::RateLimit::disabled())
        .hash_queue_timeout(Duration::from_secs(600))
        .mailer(mailer.clone())
        .mails_per_address(10_000)
        .send_verification_on_sign_up(true)
        .auto_sign_in_after_verification(true)
        .change_email(true)
        .delete_user(true)
        .revoke_sessions_on_password_reset(false)
        .reset_token_storage(TokenStorage::Plain)
}

/// The six servers: recorded `Host` and configuration.
fn variants(mailer: &CaptureMailer) -> Vec<(&'static str, authgate::AuthBuilder)> {
    let base = || mail_configuration(mailer);
    vec![
        ("127.0.0.1:4500", base()),
        ("127.0.0.1:4501", base().require_email_verification(true)),
        (
            "127.0.0.1:4502",
            base()
                .require_email_verification(true)
                .send_verification_on_sign_in(true),
        ),
        (
            "127.0.0.1:4503",
            base()
                .revoke_sessions_on_password_reset(true)
                .update_email_without_verification(true)
                .send_change_email_confirmation(true)
                .send_delete_account_verification(true),
        ),
        (
            "127.0.0.1:4504",
            base()
                .session_expires_in(Duration::from_secs(30))
                .session_update_age(Duration::from_secs(5))
                .session_fresh_age(Duration::from_secs(10))
                .email_verification_expires_in(Duration::from_secs(5))
                .reset_password_token_expires_in(Duration::from_secs(5)),
        ),
        (
            "127.0.0.1:4505",
            base()
                .reset_token_storage(TokenStorage::Hashed)
                .send_delete_account_verification(true),
        ),
    ]
}

/// Quiet sign-ups and sign-ins of the recording (notes, or users that simply appear). Tokens
/// the recording never shows are placeholders.
const OFF_RECORD: &[OffRecord] = &[
    OffRecord::sign_up("40-verify-email.txt", "QuietSignUpXenaPlaceholder000001", "xena@example.com")
        .mailed("eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6InhlbmFAZXhhbXBsZS5jb20iLCJ1c2VySWQiOiJQNFpFYTJHVmVhM2pxRGh3V0plMWtJQlhiSUpCTmZGeSIsImlhdCI6MTc5NTQ3MjQ2MSwiZXhwIjoxNzk1NDc2MDYxfQ.LM-g655mgUOrbCcshJZ7hs2QlSF0jxzXkzy5AJilac0"),
    OffRecord::sign_up("40-verify-email.txt", "QuietSignUpYuriPlaceholder000001", "yuri@example.com")
        .mailed("eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6Inl1cmlAZXhhbXBsZS5jb20iLCJ1c2VySWQiOiJmMDJpak9oWVRRUFNTM0MzbjlSMGNqakx0eDBWNUxWSiIsImlhdCI6MTc5NTQ3MjQ2MiwiZXhwIjoxNzk1NDc2MDYyfQ.TIK10DLkjPGuRkjj3YVBDDjEdQt-slhwGFhFyKz2vC0"),
    // Zoe's quiet sign-up sent no mail in the recording; ours does, and is set aside.
    OffRecord::sign_up("40-verify-email.txt", "IqjVRiDQwisGMRYNmiMJdZlz0Kx8xlAJ", "zoe@example.com")
        .mailed("zoe's quiet sign-up mail (not recorded)"),
    OffRecord::sign_up("41-password-reset.txt", "3pQ8hoNNQUtrNABiiM3RstmnhLtjFcKa", "pat@example.com"),
    OffRecord::sign_in("41-password-reset.txt", "QuietSignInPatP2Placeholder00001", "pat@example.com"),
    OffRecord::sign_up(
        "[email] GET reset-password/<token 3> after it was used",
        "icOtODl95DuM05WBbCqU8wWavkHpHgzw",
        "quinn@example.com",
    ),
    OffRecord::sign_in(
        "[email] GET reset-password/<token 3> after it was used",
        "QuietSignInQuinnPlaceholder00001",
        "quinn@example.com",
    ),
    OffRecord::sign_up(
        "[confirm] get-session with quinn's session from before the reset",
        "QuietSignUpUnaPlaceholder0000001",
        "una@example.com",
    ),
    OffRecord::sign_up(
        "[require] sign-in una with the new password (still unverified)",
        "QuietSignUpSuePlaceholder0000001",
        "sue@example.com",
    ),
    OffRecord::sign_up("42-change-email.txt", "IRj1SmfYjqxnwoLPNbBZzCAWkvu6KidL", "cora@example.com"),
    OffRecord::sign_up("42-change-email.txt", "kboQHrrr1xNiy4SaOlAQIU3JQB7FkWVV", "dora@example.com").verified(),
    OffRecord::sign_up("42-change-email.txt", "r1l3AuRlA8svlT24ozeYw42o80DXIFOt", "ella@example.com"),
    OffRecord::sign_up("42-change-email.txt", "omNViXs9n8hj4D9ooz4sdt2VQ6feQm6c", "fay@example.com").verified(),
    // 44: dan (D1, D2), ed and ed2 on [email]; gus and hal on [confirm] (sign-ups are the same
    // on every app); dan's quiet reset request, whose mail the recording shows after
    // "delete-user {token} when no deletion token exists"; hal's quiet delete-user {}, whose
    // mail it shows after "get-session (hal) still fine".
    OffRecord::sign_up("44-delete-user.txt", "WncIHoKaAezzA11VjUlviJMoArDFztVa", "dan@example.com")
        .mailed("eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImRhbkBleGFtcGxlLmNvbSIsInVzZXJJZCI6ImlWNml6b2U1cmFzVnZBbzZyZGRzSlFQWU84MElNS2R5IiwiaWF0IjoxNzk1NDcyNDg1LCJleHAiOjE3OTU0NzYwODV9.ZNaeXNExWVZX7-trYRdjPx6hEte655-4UPAoUeB0-qQ"),
    OffRecord::sign_in("44-delete-user.txt", "w3v2cO8OC2Asf3wLnWjAnKE4HGgfBgj4", "dan@example.com"),
    OffRecord::sign_up("44-delete-user.txt", "EK5hHxWUDVz75H1sKu96JdkU6oHT5FiD", "ed@example.com"),
    OffRecord::sign_up("44-delete-user.txt", "TWZPdj8LnH6TDNUsa0WbK8scRX7eXmOG", "ed2@example.com"),
    OffRecord::sign_up("44-delete-user.txt", "d0qa9sHh1lF3iBeAH2c35erEWqhI7RyL", "gus@example.com"),
    OffRecord::sign_up("44-delete-user.txt", "11Os5P2zxRiSS35HmhTJKXeex9ao3CRp", "hal@example.com"),
    OffRecord::request_reset("44-delete-user.txt", "dan@example.com", "/reset"),
    OffRecord::delete_user(
        "[confirm] GET delete-user/callback token 1 again (gus's old cookie)",
        "11Os5P2zxRiSS35HmhTJKXeex9ao3CRp",
    )
    .on("127.0.0.1:4503"),
    OffRecord::sign_up("47-verification-rows.txt", "RBMSwZ2EVg02xqPwsivYEzo2gTRYvwHL", "hank@example.com"),
];

/// The recording's pauses before the `[short]` expiries (the tokens live 5 s).
const WAITS: &[Wait] = &[
    Wait {
        before: "[short] GET verify-email with sam's token about 11 s after it was issued (expiresIn 5)",
        since: "[short] sign-up sam (emailVerification.expiresIn 5)",
        seconds: 7,
    },
    Wait {
        before: "[short] GET reset-password/<sue's token> about 11 s after it was issued",
        since: "[short] request-password-reset sue (resetPasswordTokenExpiresIn 5)",
        seconds: 7,
    },
];

/// Where authgate answers differently on purpose (COMPATIBILITY.md, "Account mails").
const DEVIATIONS: &[Deviation] = &[
    // Better-Auth's answer has no code.
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
    // A verification token without `exp` would never expire: refused.
    Deviation::Answer {
        title: "[email] GET verify-email: minted JWT for yuri without exp and without userId",
        status: 401,
        body: r#"{"message":"Invalid token","code":"INVALID_TOKEN"}"#,
    },
    // The reset with token 2 voided the user's other outstanding reset links.
    Deviation::Answer {
        title: "[email] POST reset-password?token=<token 3> (query instead of body; another outstanding token)",
        status: 400,
        body: r#"{"message":"Invalid token","code":"INVALID_TOKEN"}"#,
    },
];

async fn replay_account_mail_transcripts(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let mailer = CaptureMailer::default();
    let mut apps = Vec::new();
    for (host, builder) in variants(&mailer) {
        let auth = builder.validate().unwrap().connect(&db.url).await.unwrap();
        auth.migrate().await.unwrap();
        let (addr, server) = serve(app_router(&auth)).await;
        apps.push((host, auth, addr, server));
    }
    let mut replay = Replay::new(Client::new(apps[0].2), &apps[0].1);
    replay.servers = apps
        .iter()
        .map(|(host, _, addr, _)| (*host, Client::new(*addr)))
        .collect();
    replay.mailer = Some(mailer.clone());
    replay.off_record = OFF_RECORD;
    replay.waits = WAITS;
    replay.deviations = DEVIATIONS;
    replay.file("40-verify-email.txt", |_| true).await;
    replay.file("41-password-reset.txt", |_| true).await;
    replay.file("42-change-email.txt", |_| true).await;
    // 44's two `[short]` exchanges need a session older than freshAge (a real-time wait):
    // `transcripts.rs` replays them (`replay_short_delete_user`).
    replay
        .file("44-delete-user.txt", |e| !e.title.starts_with("[short]"))
        .await;
    check_44_token_rows(backend, &apps[0].1, &replay).await;
    replay.file("47-verification-rows.txt", |_| true).await;
    assert!(
        replay.failures.is_empty(),
        "{} of {} exchanges differ:\n{}",
        replay.failures.len(),
        replay.replayed,
        replay.failures.join("\n")
    );
    assert_eq!(
        (replay.replayed, replay.mails_compared),
        (136, 29),
        "every exchange of 40 (47), 41 (36), 42 (24), 47 (5) and 44 but its two [short] ones \
         (24), and their 25 + 4 mails"
    );
}

/// 44's `[db]` blocks on token rows, at the end of 44: dan's reset row survived his deletion
/// and the POST that found him gone; gus's two deletion tokens (one used by the link, one used
/// up by hal's mismatching attempt) and hal's are gone. The recorded tokens stand for ours
/// (paired with the mails); the `[email]` and `[confirm]` apps store identifiers in plain.
async fn check_44_token_rows(backend: Backend, auth: &authgate::Auth, replay: &Replay<'_>) {
    let rows = |identifier: String| {
        let statement = format!(
            "select count(*) from {} where {} = '{identifier}'",
            q(backend, "verification"),
            q(backend, "identifier")
        );
        async move { scalar(auth.database(), &statement).await }
    };
    let ours = |recorded: &str| {
        replay
            .ids
            .ours(recorded)
            .unwrap_or_else(|| panic!("the recorded token {recorded} was never paired"))
            .to_owned()
    };
    let dan = ours("o6QEzMzGekNaZJHtN8enlxUB");
    assert_eq!(
        rows(format!("reset-password:{dan}")).await.as_deref(),
        Some("1"),
        "dan's reset row survives the deletion and the POST"
    );
    for (whose, recorded) in [
        ("gus's first", "ceroxc5m8lqnf0hodkx8107jc8p32z6c"),
        ("gus's second", "jlrmpkzrz92pf92zy1x3io3x1ygj7dqt"),
        ("hal's", "z5o3oxzbiqz6xwfy86i7b5bxubgw5tn1"),
    ] {
        let token = ours(recorded);
        assert_eq!(
            rows(format!("delete-account-{token}")).await.as_deref(),
            Some("0"),
            "{whose} deletion token is used up"
        );
    }
}

backend_tests!(replay_account_mail_transcripts);
