//! Account mails: what they say ([`MailTemplates`]), how they leave ([`Mailer`]: SMTP through
//! [`SmtpMailer`], or `.eml` files through [`FileMailer`] in development), and the outbox that
//! sends them in the background so that no request waits on a mail server.
//!
//! Configure a mailer with [`AuthBuilder::mailer`](crate::AuthBuilder::mailer); the
//! verification, password-reset, change-email and delete-account mails then go through it.

mod file;
mod mailer;
mod message;
pub(crate) mod outbox;
mod smtp;

pub use file::FileMailer;
pub use mailer::{MailError, MailFuture, Mailer};
pub use message::{DefaultTemplates, MailContext, MailKind, MailTemplates, Message, Rendered};
pub use outbox::MailStatistics;
pub use smtp::{SmtpMailer, SmtpMailerBuilder, SmtpSecurity};
