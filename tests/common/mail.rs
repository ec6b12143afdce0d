//! Mail in tests: a mailer that keeps messages in memory, and a real SMTP server (aiosmtpd,
//! `tests/support/smtp_server.py`) per test, which `.ci/run` installs.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authgate::mail::{MailFuture, Mailer, Message};

/// How long a test waits for a mail to arrive before it fails (generous: loaded machines).
pub const MAIL_WAIT: Duration = Duration::from_secs(60);

/// Keeps every message it is given.
#[derive(Debug, Clone, Default)]
pub struct CaptureMailer {
    messages: Arc<Mutex<Vec<Message>>>,
}

impl Mailer for CaptureMailer {
    fn send<'a>(&'a self, message: &'a Message) -> MailFuture<'a> {
        Box::pin(async move {
            self.messages.lock().unwrap().push(message.clone());
            Ok(())
        })
    }
}

impl CaptureMailer {
    pub fn messages(&self) -> Vec<Message> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits until `n` messages have arrived and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Message> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                started.elapsed() < MAIL_WAIT,
                "waited {MAIL_WAIT:?} for {n} mails, got {}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A mailer that never finishes a send (for a full queue).
#[derive(Debug, Clone, Default)]
pub struct StuckMailer;

impl Mailer for StuckMailer {
    fn send<'a>(&'a self, _message: &'a Message) -> MailFuture<'a> {
        Box::pin(std::future::pending())
    }
}

/// The path and query of a link, relative to the base URL (`/api/auth/...`).
pub fn path_of(link: &str) -> String {
    let url = url::Url::parse(link).unwrap_or_else(|e| panic!("{link}: {e}"));
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A query parameter of a link, decoded.
pub fn query_param(link: &str, name: &str) -> Option<String> {
    url::Url::parse(link)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The first link into the auth router in a mail as sent over SMTP (quoted-printable undone).
pub fn link_in(eml: &str, base: &str) -> String {
    let text = if eml.contains("quoted-printable") {
        eml.replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    } else {
        eml.to_owned()
    };
    let start = text
        .find(base)
        .unwrap_or_else(|| panic!("no link to {base} in the mail:\n{eml}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

/// The Python that has `aiosmtpd`: `AUTHGATE_TEST_PYTHON` (set by `.ci/run`), else `python3`.
fn python() -> String {
    std::env::var("AUTHGATE_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// How the test SMTP server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    Accept,
    /// Answers DATA only after 30 s.
    Slow,
    /// Answers DATA with 550.
    Refuse,
}

/// A real SMTP server on 127.0.0.1, ended when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    root: PathBuf,
}

impl SmtpServer {
    pub fn start(mode: SmtpMode, starttls: bool, auth: Option<&str>) -> Self {
        let root = std::env::temp_dir().join(format!(
            "authgate-smtp-{}-{}",
            std::process::id(),
            authgate_random()
        ));
        let dir = root.join("mail");
        std::fs::create_dir_all(&dir).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
        let mut command = Command::new(python());
        command.arg(script).arg("--dir").arg(&dir);
        command.args([
            "--mode",
            match mode {
                SmtpMode::Accept => "ok",
                SmtpMode::Slow => "slow",
                SmtpMode::Refuse => "refuse",
            },
        ]);
        if starttls {
            command.arg("--starttls");
        }
        if let Some(auth) = auth {
            command.args(["--auth", auth]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {} (the SMTP tests need Python with aiosmtpd: `pip install aiosmtpd`, or run .ci/run): {e}",
                    python()
                )
            });
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "the test SMTP server did not start (is aiosmtpd installed for {}? `pip install aiosmtpd`): {line:?}",
                    python()
                )
            });
        Self {
            child,
            port,
            dir,
            root,
        }
    }

    /// The self-signed certificate of a `starttls` server (PEM).
    pub fn certificate(&self) -> Vec<u8> {
        std::fs::read(self.root.join("cert.pem")).unwrap()
    }

    /// The messages received so far, in order.
    pub fn messages(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Waits until `n` messages have arrived and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                started.elapsed() < MAIL_WAIT,
                "waited {MAIL_WAIT:?} for {n} mails over SMTP, got {}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn authgate_random() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes)
}

/// Waits until `check` holds on the auth's mail statistics.
pub async fn wait_for_statistics(
    auth: &authgate::Auth,
    what: &str,
    check: impl Fn(&authgate::mail::MailStatistics) -> bool,
) -> authgate::mail::MailStatistics {
    let started = Instant::now();
    loop {
        let stats = auth.mail_statistics();
        if check(&stats) {
            return stats;
        }
        assert!(
            started.elapsed() < MAIL_WAIT,
            "waited for {what}: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
