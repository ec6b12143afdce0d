//! Replays Better-Auth's recorded exchanges (`tests/fixtures/transcripts/`) against authgate
//! and compares status, `Set-Cookie`, `Location`, caching headers, `set-auth-token`,
//! `Access-Control-Expose-Headers` and body.
//!
//! Ids, tokens and dates differ between the recording and the replay. Every 32-character id or
//! token in a recorded body must correspond, one to one, to ours (a bijection built as the
//! replay goes); recorded tokens, their signatures and signed cookie values in later requests
//! are replaced by ours; dates must have the ISO form with milliseconds.
//!
//! Some recordings talk to more than one Better-Auth server (14's bearer-plugin server listens
//! on its own port): each recorded `Host` can be sent to its own authgate app, configured like
//! that server (`Replay::servers`).

use std::collections::HashMap;
use std::path::Path;

use http::Method;

use super::{Client, TestResponse, encode_signed};

/// One recorded request and its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub file: String,
    pub title: String,
    pub method: Method,
    pub path: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// The mails the recording's `send*` callbacks received during this exchange (its
    /// `[outbox]` blocks): `None` when the recording says nothing, `Some([])` for "no message".
    pub mails: Option<Vec<RecordedMail>>,
}

/// A mail Better-Auth's callback received, from an `[outbox]` block.
#[derive(Debug, Clone)]
pub struct RecordedMail {
    /// `sendVerificationEmail`, `sendResetPassword`, ...
    pub callback: String,
    pub to: String,
    pub url: String,
    pub token: String,
}

impl Exchange {
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.response_headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Parses a transcript file into its exchanges (annotation blocks without a request are
/// skipped).
pub fn parse(path: &Path) -> Vec<Exchange> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut exchanges: Vec<Exchange> = Vec::new();
    for block in
        text.split("==============================================================================")
    {
        if let Some(outbox) = block.trim_start().strip_prefix("## [outbox] ") {
            if outbox.starts_with("all messages") {
                continue;
            }
            if let Some(last) = exchanges.last_mut() {
                let mails = last.mails.get_or_insert_with(Vec::new);
                if let Some(line) = block.lines().find(|l| l.starts_with("{\"callback\"")) {
                    let mail: serde_json::Value = serde_json::from_str(line).unwrap();
                    let field = |name: &str| mail[name].as_str().unwrap_or_default().to_owned();
                    mails.push(RecordedMail {
                        callback: field("callback"),
                        to: field("to"),
                        url: field("url"),
                        token: field("token"),
                    });
                }
            }
            continue;
        }
        let mut title = None;
        let mut request_line = None;
        let mut request_headers = Vec::new();
        let mut request_body = None;
        let mut status = None;
        let mut response_headers = Vec::new();
        let mut response_body = Vec::new();
        let mut in_body = false;
        for line in block.lines() {
            if in_body {
                response_body.push(line);
                continue;
            }
            if let Some(t) = line.strip_prefix("## ") {
                title = Some(t.to_owned());
            } else if let Some(body) = line.strip_prefix("> [request body] ") {
                request_body = Some(body.to_owned());
            } else if line == "> [request body]" {
                request_body = Some(String::new());
            } else if line.starts_with("< [response body]") {
                in_body = true;
            } else if let Some(rest) = line.strip_prefix("> ") {
                if request_line.is_none() {
                    request_line = Some(rest.to_owned());
                } else if let Some((k, v)) = rest.split_once(": ") {
                    request_headers.push((k.to_owned(), v.to_owned()));
                } else if let Some(k) = rest.strip_suffix(':') {
                    request_headers.push((k.to_owned(), String::new()));
                }
            } else if let Some(rest) = line.strip_prefix("< ") {
                if status.is_none() {
                    status = rest
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse::<u16>().ok());
                } else if let Some((k, v)) = rest.split_once(": ") {
                    response_headers.push((k.to_owned(), v.to_owned()));
                }
            }
        }
        let (Some(title), Some(request_line), Some(status)) = (title, request_line, status) else {
            continue;
        };
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap().parse().unwrap();
        let path = parts.next().unwrap().to_owned();
        let response_body = response_body.join("\n").trim_end().to_owned();
        exchanges.push(Exchange {
            file: file.clone(),
            title,
            method,
            path,
            request_headers,
            request_body,
            status,
            response_headers,
            response_body,
            mails: None,
        });
    }
    exchanges
}

/// A recorded value and ours, both directions.
#[derive(Debug, Default)]
pub struct Bijection {
    forward: HashMap<String, String>,
    backward: HashMap<String, String>,
}

impl Bijection {
    /// Records (or checks) that recorded `theirs` corresponds to `ours`.
    pub fn pair(&mut self, theirs: &str, ours: &str) -> Result<(), String> {
        match (self.forward.get(theirs), self.backward.get(ours)) {
            (None, None) => {
                self.forward.insert(theirs.to_owned(), ours.to_owned());
                self.backward.insert(ours.to_owned(), theirs.to_owned());
                Ok(())
            }
            (Some(o), _) if o == ours => Ok(()),
            (Some(o), _) => Err(format!("recorded {theirs} was {o} before, now {ours}")),
            (None, Some(t)) => Err(format!(
                "our {ours} stood for recorded {t} before, now for {theirs}"
            )),
        }
    }

    pub fn ours(&self, theirs: &str) -> Option<&str> {
        self.forward.get(theirs).map(String::as_str)
    }
}

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19 | 23) || c.is_ascii_digit())
}

/// The body with every quoted id replaced by `"<id>"` and every ISO date by `"<date>"`, and
/// the ids in order of appearance.
fn skeleton(body: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(body.len());
    let mut ids = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        // Strings in these bodies contain no escaped quotes.
        let end = after.find('"').unwrap_or(after.len());
        let content = &after[..end];
        if is_id(content) {
            out.push_str("\"<id>\"");
            ids.push(content.to_owned());
        } else if is_iso_date(content) {
            out.push_str("\"<date>\"");
        } else {
            out.push('"');
            out.push_str(content);
            out.push('"');
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    (out, ids)
}

/// What a quiet request of the recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quiet {
    /// A sign-up: a new user and session.
    SignUp,
    /// A sign-in: a new session.
    SignIn,
    /// A `request-password-reset` with this `redirectTo`; its mail is the one a later
    /// `[outbox]` block of the recording shows.
    RequestReset { redirect_to: &'static str },
    /// A `delete-user {}` from the session `token` (which must be mapped already), on a server
    /// that mails a deletion link; the mail is a later `[outbox]` block's.
    DeleteUser,
}

/// What Better-Auth did off the record (a quiet sign-up or sign-in the recording mentions in a
/// note, whose session later requests use; or a quiet request whose mail the recording shows).
/// Done, in list order, when the replay reaches `at`: the start of the file of that name, or
/// just after the exchange of that title.
#[derive(Debug, Clone, Copy)]
pub struct OffRecord {
    pub at: &'static str,
    pub token: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub action: Quiet,
    /// The recorded `Host` of the server that received it (`Replay::servers`); the default
    /// client when `None`.
    pub host: Option<&'static str>,
    pub remember: bool,
    /// Mark the address verified after the sign-up.
    pub verified: bool,
    pub user_agent: &'static str,
    pub forwarded_for: Option<&'static str>,
    /// The token of the verification mail the quiet sign-up sent (paired with ours).
    pub mail_token: &'static str,
}

impl OffRecord {
    const DEFAULT: OffRecord = OffRecord {
        at: "",
        token: "",
        email: "",
        password: "password123",
        action: Quiet::SignIn,
        host: None,
        remember: true,
        verified: false,
        user_agent: "curl/7.88.1",
        forwarded_for: None,
        mail_token: "",
    };

    pub const fn sign_in(at: &'static str, token: &'static str, email: &'static str) -> Self {
        OffRecord {
            at,
            token,
            email,
            ..Self::DEFAULT
        }
    }

    pub const fn sign_up(at: &'static str, token: &'static str, email: &'static str) -> Self {
        OffRecord {
            at,
            token,
            email,
            action: Quiet::SignUp,
            ..Self::DEFAULT
        }
    }

    /// A quiet `request-password-reset` for `email` with `redirectTo`.
    pub const fn request_reset(
        at: &'static str,
        email: &'static str,
        redirect_to: &'static str,
    ) -> Self {
        OffRecord {
            at,
            email,
            action: Quiet::RequestReset { redirect_to },
            ..Self::DEFAULT
        }
    }

    /// A quiet `delete-user {}` from the recorded session `token`.
    pub const fn delete_user(at: &'static str, token: &'static str) -> Self {
        OffRecord {
            at,
            token,
            action: Quiet::DeleteUser,
            ..Self::DEFAULT
        }
    }

    /// Sent to the app standing for the recorded `host`.
    pub const fn on(self, host: &'static str) -> Self {
        OffRecord {
            host: Some(host),
            ..self
        }
    }

    pub const fn not_remembered(self) -> Self {
        OffRecord {
            remember: false,
            ..self
        }
    }

    pub const fn verified(self) -> Self {
        OffRecord {
            verified: true,
            ..self
        }
    }

    pub const fn user_agent(self, user_agent: &'static str) -> Self {
        OffRecord { user_agent, ..self }
    }

    /// The quiet sign-up's verification mail carried `token`.
    pub const fn mailed(self, token: &'static str) -> Self {
        OffRecord {
            mail_token: token,
            ..self
        }
    }

    pub const fn forwarded_for(self, ip: &'static str) -> Self {
        OffRecord {
            forwarded_for: Some(ip),
            ..self
        }
    }
}

/// `cora@example.com` -> `Cora`, the names the recordings' set-ups used.
fn display_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default();
    let mut chars = local.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What we deliberately answer differently (each listed in COMPATIBILITY.md).
pub enum Deviation {
    /// Our whole answer to the exchange with this title.
    Answer {
        title: &'static str,
        status: u16,
        body: &'static str,
    },
    /// Our answer has this status and its body contains `fragment`.
    Contains {
        title: &'static str,
        status: u16,
        fragment: &'static str,
    },
    /// A JSON array whose order is the database's physical row order in the recording (no
    /// `ORDER BY`): the same elements, matched by token, in any order.
    Unordered { title: &'static str },
    /// In our body, `ours` stands where the recording has `theirs`; the rest must match.
    Rewrite {
        title: &'static str,
        ours: &'static str,
        theirs: &'static str,
    },
}

impl Deviation {
    fn title(&self) -> &'static str {
        match self {
            Deviation::Answer { title, .. }
            | Deviation::Contains { title, .. }
            | Deviation::Unordered { title }
            | Deviation::Rewrite { title, .. } => title,
        }
    }
}

/// A pause the recording made: before the exchange titled `before`, wait until `seconds`
/// after the exchange titled `since` was replayed.
pub struct Wait {
    pub before: &'static str,
    pub since: &'static str,
    pub seconds: u64,
}

/// Better-Auth's signed cookie value: `value.` + base64(HMAC-SHA256(secret, value)).
pub fn sign_like_better_auth(value: &str, secret: &str) -> String {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(value.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("{value}.{signature}")
}

pub struct Replay<'a> {
    pub waits: &'a [Wait],
    replayed_at: HashMap<String, std::time::Instant>,
    /// Where requests go, unless `servers` names their recorded `Host`.
    pub client: Client,
    /// Recorded `Host` -> the app (on the same database, with the same secret) configured like
    /// the Better-Auth server that answered there.
    pub servers: Vec<(&'static str, Client)>,
    pub auth: &'a authgate::Auth,
    pub ids: Bijection,
    pub off_record: &'a [OffRecord],
    pub deviations: &'a [Deviation],
    pub failures: Vec<String>,
    pub replayed: usize,
    /// Where our apps' mails go (one mailer for every app of the replay).
    pub mailer: Option<super::mail::CaptureMailer>,
    /// Which of our mails were paired with a recorded one already.
    mails_used: std::collections::HashSet<usize>,
    /// How many recorded mails were paired with ours.
    pub mails_compared: usize,
}

impl<'a> Replay<'a> {
    pub fn new(client: Client, auth: &'a authgate::Auth) -> Self {
        Self {
            waits: &[],
            replayed_at: HashMap::new(),
            client,
            servers: Vec::new(),
            auth,
            ids: Bijection::default(),
            off_record: &[],
            deviations: &[],
            failures: Vec::new(),
            replayed: 0,
            mailer: None,
            mails_used: Default::default(),
            mails_compared: 0,
        }
    }

    /// Waits for our next unpaired mail of `kind` to `to`, and marks it paired.
    async fn our_mail(
        &mut self,
        kind: authgate::mail::MailKind,
        to: &str,
    ) -> Option<authgate::mail::Message> {
        let mailer = self.mailer.clone()?;
        let started = std::time::Instant::now();
        loop {
            let found = mailer
                .messages()
                .into_iter()
                .enumerate()
                .find(|(i, m)| !self.mails_used.contains(i) && m.kind == kind && m.to == to);
            if let Some((i, message)) = found {
                self.mails_used.insert(i);
                return Some(message);
            }
            if started.elapsed() > super::mail::MAIL_WAIT {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Pairs each recorded mail of `exchange` with ours: same recipient and kind, the same
    /// link once the recorded token is replaced by ours.
    async fn compare_mails(&mut self, exchange: &Exchange) {
        // Replays without a mailer (the apps send none) do not compare mails.
        let (Some(mails), Some(_)) = (&exchange.mails, &self.mailer) else {
            return;
        };
        for mail in mails {
            let kind = match mail.callback.as_str() {
                "sendVerificationEmail" => authgate::mail::MailKind::VerifyEmail,
                "sendResetPassword" => authgate::mail::MailKind::ResetPassword,
                "sendChangeEmailConfirmation" => authgate::mail::MailKind::ChangeEmailConfirmation,
                _ => authgate::mail::MailKind::DeleteAccount,
            };
            let context = format!(
                "{} / {} / mail to {}",
                exchange.file, exchange.title, mail.to
            );
            let Some(ours) = self.our_mail(kind, &mail.to).await else {
                self.failures
                    .push(format!("{context}: we sent no {kind:?} mail"));
                continue;
            };
            let our_token = super::mail::query_param(&ours.link, "token").unwrap_or_else(|| {
                ours.link
                    .split('?')
                    .next()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned()
            });
            // Tokens signed in the same second are equal (JWTs), so mail tokens map one way:
            // the latest of ours stands for the recorded one.
            self.ids
                .forward
                .insert(mail.token.clone(), our_token.clone());
            self.ids
                .backward
                .insert(our_token.clone(), mail.token.clone());
            let expected = mail.url.replace(&mail.token, &our_token);
            if ours.link != expected {
                self.failures.push(format!(
                    "{context}: link {} instead of {expected}",
                    ours.link
                ));
            }
            self.mails_compared += 1;
        }
    }

    /// Maps recorded token `theirs` to our token `ours`, with their signatures.
    fn map_token(&mut self, theirs: &str, ours: &str) -> Result<(), String> {
        self.ids.pair(theirs, ours)
    }

    /// Replaces recorded tokens (alone, signed, percent-encoded) by ours.
    fn substitute(&self, text: &str) -> String {
        let mut out = text.to_owned();
        // The signed constant of the `dont_remember` cookie, re-signed with the app's secret.
        let their_true = self.auth_sign_recorded("true");
        if out.contains(&their_true) || out.contains(&encode_signed(&their_true)) {
            let our_true = self.auth.sign_session_token("true");
            out = out
                .replace(&encode_signed(&their_true), &encode_signed(&our_true))
                .replace(&their_true, &our_true);
        }
        for (theirs, ours) in &self.ids.forward {
            if !out.contains(theirs.as_str()) {
                continue;
            }
            let their_signed = self.auth_sign_recorded(theirs);
            let our_signed = self.auth.sign_session_token(ours);
            let their_sig = their_signed.rsplit_once('.').unwrap().1.to_owned();
            let our_sig = our_signed.rsplit_once('.').unwrap().1.to_owned();
            out = out
                .replace(&encode_signed(&their_sig), &encode_signed(&our_sig))
                .replace(&their_sig, &our_sig)
                .replace(theirs.as_str(), ours);
        }
        out
    }

    /// The recorded token signed as Better-Auth signed it, with the recording's secret. The app
    /// under test signs with a strong secret of its own ([`super::TEST_SECRET`]): the recording's
    /// secret is one authgate refuses (it is made of sequences), so recorded signatures are
    /// recomputed here and replaced by the app's.
    fn auth_sign_recorded(&self, theirs: &str) -> String {
        sign_like_better_auth(theirs, super::ORACLE_SECRET)
    }

    /// Creates the off-record sessions due at `at` (a file or an exchange title), in order.
    async fn create_off_record(&mut self, at: &str) {
        let due: Vec<OffRecord> = self
            .off_record
            .iter()
            .filter(|off| {
                off.at == at
                    && match off.action {
                        Quiet::SignUp | Quiet::SignIn => self.ids.ours(off.token).is_none(),
                        Quiet::RequestReset { .. } | Quiet::DeleteUser => true,
                    }
            })
            .copied()
            .collect();
        for off in due {
            let client = self
                .servers
                .iter()
                .find(|(recorded, _)| Some(*recorded) == off.host)
                .map_or(&self.client, |(_, client)| client);
            let path = match off.action {
                Quiet::SignUp => "/api/auth/sign-up/email",
                Quiet::SignIn => "/api/auth/sign-in/email",
                Quiet::RequestReset { redirect_to } => {
                    let response = client
                        .post("/api/auth/request-password-reset")
                        .json(&serde_json::json!({ "email": off.email, "redirectTo": redirect_to }))
                        .send()
                        .await;
                    assert_eq!(
                        (
                            response.status.as_u16(),
                            response.json()["status"].as_bool()
                        ),
                        (200, Some(true)),
                        "off-record request-password-reset for {}: {}",
                        off.email,
                        response.text()
                    );
                    continue;
                }
                Quiet::DeleteUser => {
                    let ours = self.ids.ours(off.token).unwrap_or_else(|| {
                        panic!("off-record delete-user: {} unmapped", off.token)
                    });
                    let cookie = format!(
                        "better-auth.session_token={}",
                        encode_signed(&self.auth.sign_session_token(ours))
                    );
                    let response = client
                        .post("/api/auth/delete-user")
                        .header("origin", "http://localhost:3000")
                        .header("cookie", &cookie)
                        .json(&serde_json::json!({}))
                        .send()
                        .await;
                    assert_eq!(
                        response.text(),
                        r#"{"success":true,"message":"Verification email sent"}"#,
                        "off-record delete-user from {}",
                        off.token
                    );
                    continue;
                }
            };
            let mut request = client
                .post(path)
                .header("user-agent", off.user_agent)
                .json(&serde_json::json!({ "name": display_name(off.email), "email": off.email, "password": off.password, "rememberMe": off.remember }));
            if let Some(ip) = off.forwarded_for {
                request = request.header("x-forwarded-for", ip);
            }
            let response = request.send().await;
            assert_eq!(
                response.status,
                200,
                "off-record {path} for {}: {}",
                off.email,
                response.text()
            );
            let ours = response.json()["token"].as_str().unwrap().to_owned();
            self.map_token(off.token, &ours).unwrap();
            if !off.mail_token.is_empty() {
                let mail = self
                    .our_mail(authgate::mail::MailKind::VerifyEmail, off.email)
                    .await
                    .unwrap_or_else(|| {
                        panic!(
                            "no verification mail for the quiet sign-up of {}",
                            off.email
                        )
                    });
                let token = super::mail::query_param(&mail.link, "token").unwrap();
                self.ids
                    .forward
                    .insert(off.mail_token.to_owned(), token.clone());
                self.ids.backward.insert(token, off.mail_token.to_owned());
            }
            if off.verified {
                let table = if self.auth.database().dialect() == authgate::Dialect::MySql {
                    "`user`"
                } else {
                    "\"user\""
                };
                let column = if self.auth.database().dialect() == authgate::Dialect::MySql {
                    "`emailVerified`"
                } else {
                    "\"emailVerified\""
                };
                let email = if self.auth.database().dialect() == authgate::Dialect::MySql {
                    "`email`"
                } else {
                    "\"email\""
                };
                super::execute(
                    self.auth.database(),
                    &format!(
                        "update {table} set {column} = true where {email} = '{}'",
                        off.email
                    ),
                )
                .await;
            }
        }
    }

    /// Replays every exchange of `file` that `keep` selects, after its off-record set-up.
    pub async fn file(&mut self, file: &str, keep: impl Fn(&Exchange) -> bool) {
        self.create_off_record(file).await;
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/transcripts")
            .join(file);
        for exchange in parse(&path) {
            if keep(&exchange) {
                if let Some(wait) = self.waits.iter().find(|w| w.before == exchange.title) {
                    let since = self.replayed_at[wait.since];
                    tokio::time::sleep_until(
                        (since + std::time::Duration::from_secs(wait.seconds)).into(),
                    )
                    .await;
                }
                self.exchange(&exchange).await;
                self.compare_mails(&exchange).await;
                self.replayed_at
                    .insert(exchange.title.clone(), std::time::Instant::now());
                self.create_off_record(&exchange.title).await;
            }
        }
    }

    /// Replays one exchange and records any difference.
    pub async fn exchange(&mut self, exchange: &Exchange) {
        let context = format!("{} / {}", exchange.file, exchange.title);

        let host = exchange.request_header("host");
        let client = self
            .servers
            .iter()
            .find(|(recorded, _)| Some(*recorded) == host)
            .map_or(&self.client, |(_, client)| client);
        let path = self.substitute(&remint_jwts(&exchange.path, |t| self.ids.ours(t).is_some()));
        let mut request = client.request(exchange.method.clone(), &path);
        for (name, value) in &exchange.request_headers {
            if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            request = request.header(name, &self.substitute(value));
        }
        if let Some(body) = &exchange.request_body {
            request = request.body(self.substitute(body));
        }
        let response = request.send().await;
        self.replayed += 1;
        if let Err(problem) = self.compare(exchange, &response) {
            self.failures.push(format!(
                "{context}: {problem}\n    ours: {} {}\n    theirs: {} {}",
                response.status,
                response.text(),
                exchange.status,
                exchange.response_body
            ));
        }
    }

    /// Our JSON array of sessions put in the recording's order, matching elements by token.
    fn reorder_like_recording(&self, theirs: &str, ours: &str) -> Result<String, String> {
        let theirs: Vec<serde_json::Value> =
            serde_json::from_str(theirs).map_err(|e| e.to_string())?;
        let mut ours: Vec<serde_json::Value> =
            serde_json::from_str(ours).map_err(|e| format!("{e}: {ours}"))?;
        let mut ordered = Vec::new();
        for element in &theirs {
            let token = element["token"]
                .as_str()
                .ok_or("an element without a token")?;
            let our_token = self
                .ids
                .ours(token)
                .ok_or_else(|| format!("unmapped token {token}"))?;
            let position = ours
                .iter()
                .position(|o| o["token"] == our_token)
                .ok_or_else(|| format!("our list lacks {our_token}"))?;
            ordered.push(ours.remove(position));
        }
        ordered.extend(ours);
        // Re-serialise in Better-Auth's key order (serde_json's map would sort the keys).
        let keys = [
            "expiresAt",
            "token",
            "createdAt",
            "updatedAt",
            "ipAddress",
            "userAgent",
            "userId",
            "id",
        ];
        let elements: Vec<String> = ordered
            .iter()
            .map(|e| {
                format!(
                    "{{{}}}",
                    keys.iter()
                        .map(|k| format!("\"{k}\":{}", e[*k]))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        Ok(format!("[{}]", elements.join(",")))
    }

    fn compare(&mut self, exchange: &Exchange, response: &TestResponse) -> Result<(), String> {
        let mut ours_body = response.text();
        match self.deviations.iter().find(|d| d.title() == exchange.title) {
            Some(Deviation::Answer { status, body, .. }) => {
                if response.status.as_u16() != *status || ours_body != *body {
                    return Err(format!("expected our documented answer {status} {body}"));
                }
                return Ok(());
            }
            Some(Deviation::Contains {
                status, fragment, ..
            }) => {
                if response.status.as_u16() != *status || !ours_body.contains(fragment) {
                    return Err(format!("expected {status} with {fragment}"));
                }
                return Ok(());
            }
            Some(Deviation::Unordered { .. }) => {
                ours_body = self.reorder_like_recording(&exchange.response_body, &ours_body)?;
            }
            Some(Deviation::Rewrite { ours, theirs, .. }) => {
                if !ours_body.contains(ours) {
                    return Err(format!("expected {ours} in our body"));
                }
                ours_body = ours_body.replace(ours, theirs);
            }
            None => {}
        }
        if response.status.as_u16() != exchange.status {
            return Err(format!(
                "status {} instead of {}",
                response.status, exchange.status
            ));
        }

        // Tokens first, so that the cookies and the rest of the body can be compared.
        if let (Ok(theirs), Ok(ours)) = (
            serde_json::from_str::<serde_json::Value>(&exchange.response_body),
            serde_json::from_str::<serde_json::Value>(&ours_body),
        ) && let (Some(t), Some(o)) = (theirs["token"].as_str(), ours["token"].as_str())
        {
            self.map_token(t, o)?;
        }
        let (their_skeleton, their_ids) = skeleton(&exchange.response_body);
        let (our_skeleton, our_ids) = skeleton(&ours_body);
        if their_skeleton != our_skeleton {
            return Err(format!(
                "body differs:\n      ours   {our_skeleton}\n      theirs {their_skeleton}"
            ));
        }
        for (theirs, ours) in their_ids.iter().zip(&our_ids) {
            self.ids.pair(theirs, ours)?;
        }

        // A session the response creates only in its cookie (verify-email's auto sign-in).
        let session_token = |cookie: &str| {
            cookie
                .strip_prefix("better-auth.session_token=")
                .and_then(|rest| rest.split(['.', ';']).next())
                .filter(|t| is_id(t))
                .map(str::to_owned)
        };
        for (theirs, ours) in exchange.set_cookies().iter().zip(response.set_cookies()) {
            if let (Some(t), Some(o)) = (session_token(theirs), session_token(&ours))
                && self.ids.ours(&t).is_none()
            {
                self.map_token(&t, &o)?;
            }
        }
        let their_cookies: Vec<String> = exchange
            .set_cookies()
            .iter()
            .map(|c| self.substitute(c))
            .collect();
        let our_cookies = response.set_cookies();
        // Names, values and attribute sets, in order; the attributes' order is the cookie
        // crate's, and no client depends on it.
        let parts = |cookies: &[String]| -> Vec<_> {
            cookies
                .iter()
                .map(|c| super::http_client::cookie_parts(c))
                .collect()
        };
        if parts(&their_cookies) != parts(&our_cookies) {
            return Err(format!(
                "Set-Cookie differs:\n      ours   {our_cookies:?}\n      theirs {their_cookies:?}"
            ));
        }
        for name in ["location", "content-type", "cache-control", "pragma"] {
            if let Some(theirs) = exchange.response_header(name) {
                let theirs = self.substitute(theirs);
                if response.header(name) != Some(theirs.as_str()) {
                    return Err(format!(
                        "{name} is {:?} instead of {theirs:?}",
                        response.header(name)
                    ));
                }
            } else if name == "location" && response.header(name).is_some() {
                return Err("unexpected Location".to_owned());
            }
        }
        self.compare_auth_token(exchange, response)?;
        match (
            exchange.response_header("access-control-expose-headers"),
            response.header("access-control-expose-headers"),
        ) {
            (None, None) => {}
            (Some(theirs), Some(ours)) if theirs.eq_ignore_ascii_case(ours) => {}
            (theirs, ours) => {
                return Err(format!(
                    "access-control-expose-headers is {ours:?} instead of {theirs:?}"
                ));
            }
        }
        Ok(())
    }

    /// `set-auth-token` is sent exactly when the recording has it, and then holds the signed
    /// session token: the recorded value with its token and signature replaced by ours, and the
    /// same signed value as the session cookie this response sets.
    fn compare_auth_token(
        &self,
        exchange: &Exchange,
        response: &TestResponse,
    ) -> Result<(), String> {
        let (theirs, ours) = match (
            exchange.response_header("set-auth-token"),
            response.header("set-auth-token"),
        ) {
            (None, None) => return Ok(()),
            (Some(theirs), Some(ours)) => (theirs, ours),
            (theirs, ours) => {
                return Err(format!("set-auth-token is {ours:?} instead of {theirs:?}"));
            }
        };
        let expected = self.substitute(theirs);
        if ours != expected {
            return Err(format!(
                "set-auth-token is {ours:?} instead of {expected:?} (recorded {theirs:?})"
            ));
        }
        let (token, _) = ours
            .rsplit_once('.')
            .ok_or_else(|| format!("set-auth-token {ours:?} is not signed"))?;
        if self.auth.sign_session_token(token) != ours {
            return Err(format!(
                "set-auth-token {ours:?} is not the signed form of {token}"
            ));
        }
        let cookie = response
            .set_cookies()
            .iter()
            .find_map(|c| {
                c.strip_prefix("better-auth.session_token=")
                    .and_then(|rest| rest.split(';').next())
                    .map(super::http_client::percent_decode)
            })
            .ok_or("set-auth-token without a session cookie")?;
        if cookie != ours {
            return Err(format!(
                "set-auth-token {ours:?} is not the session cookie's value {cookie:?}"
            ));
        }
        Ok(())
    }
}

/// The recordings started at 2026-11-23T22:20:58Z (Unix seconds).
const RECORDED_AT: i64 = 1_795_472_458;

/// Verification JWTs the recording minted itself (not from a mail, so not mapped to ours)
/// expired an hour after the recording. Those signed with the recording's secret are signed
/// again, with the app's secret and with `iat` and `exp` moved by the time since, their header
/// and other claims kept;
/// any other (a forged signature, or a mail's token, which stands for ours) is left as it is.
fn remint_jwts(path: &str, mapped: impl Fn(&str) -> bool) -> String {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sign = |input: &str, secret: &str| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        b64.encode(mac.finalize().into_bytes())
    };
    let shift = time::OffsetDateTime::now_utc().unix_timestamp() - RECORDED_AT;
    let mut out = path.to_owned();
    for word in path.split(['?', '&', '=', '/']) {
        let parts: Vec<&str> = word.split('.').collect();
        if mapped(word)
            || parts.len() != 3
            || !parts[0].starts_with("eyJ")
            || sign(&format!("{}.{}", parts[0], parts[1]), super::ORACLE_SECRET) != parts[2]
        {
            continue;
        }
        let Some(mut claims) = b64
            .decode(parts[1])
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        else {
            continue;
        };
        for claim in ["iat", "exp"] {
            if let Some(t) = claims[claim].as_i64() {
                claims[claim] = serde_json::json!(t + shift);
            }
        }
        let input = format!("{}.{}", parts[0], b64.encode(claims.to_string()));
        // Signed again with the app's secret: the recording's is one authgate refuses.
        out = out.replace(
            word,
            &format!("{input}.{}", sign(&input, super::TEST_SECRET)),
        );
    }
    out
}
