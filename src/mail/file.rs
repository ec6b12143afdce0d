//! [`FileMailer`]: development delivery, one `.eml` file per message in a directory.

use std::path::{Path, PathBuf};

use lettre::message::Mailbox;

use super::mailer::{MailError, MailFuture, Mailer};
use super::message::Message;
use super::smtp::{format, parse_mailbox};

/// Writes each message as an `.eml` file (open it with any mail program, or read the link
/// in it) into a directory, created when missing, and logs the file's path at INFO (never the
/// link). For development and tests; the files hold live tokens, so they are readable by
/// their owner only (on Unix).
///
/// # Examples
/// ```
/// let mailer = authgate::mail::FileMailer::new("./mail");
/// assert_eq!(mailer.dir(), std::path::Path::new("./mail"));
/// ```
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    /// Writes into `dir`, from `authgate <no-reply@localhost>`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileMailer {
            dir: dir.into(),
            from: Mailbox::new(
                Some("authgate".to_owned()),
                "no-reply@localhost".parse().expect("a valid address"),
            ),
        }
    }

    /// The sender written into each file.
    ///
    /// # Errors
    /// [`MailError::Other`] when `mailbox` is not a valid address.
    pub fn from(mut self, mailbox: impl Into<String>) -> Result<Self, MailError> {
        self.from = parse_mailbox(mailbox.into())?;
        Ok(self)
    }

    /// The directory the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for FileMailer {
    fn send<'a>(&'a self, message: &'a Message) -> MailFuture<'a> {
        Box::pin(async move {
            let bytes = format(&self.from, message)?.formatted();
            let name = format!(
                "{}-{}-{}.eml",
                crate::timestamp::now().unix_timestamp_nanos() / 1_000_000,
                kind_name(message),
                crate::crypto::token::generate(8)
            );
            let path = self.dir.join(name);
            let dir = self.dir.clone();
            let written = path.clone();
            tokio::task::spawn_blocking(move || write_private(&dir, &written, &bytes))
                .await
                .map_err(|e| MailError::other(format!("the mail writer stopped: {e}")))?
                .map_err(|e| {
                    MailError::other(format!("could not write {}: {e}", path.display()))
                })?;
            tracing::info!(path = %path.display(), "wrote a mail");
            Ok(())
        })
    }
}

fn kind_name(message: &Message) -> &'static str {
    use super::message::MailKind;
    match message.kind {
        MailKind::VerifyEmail => "verify-email",
        MailKind::ResetPassword => "reset-password",
        MailKind::ChangeEmailConfirmation => "change-email",
        MailKind::DeleteAccount => "delete-account",
    }
}

fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}
