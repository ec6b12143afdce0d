//! The [`Mailer`] trait: one message out, or a [`MailError`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::message::Message;

/// The future a [`Mailer`] returns (boxed, so that `Arc<dyn Mailer>` works).
pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Delivers one message. authgate calls it from its outbox task, never from a request, and
/// bounds each call with [`mail_timeout`](crate::AuthBuilder::mail_timeout).
///
/// # Examples
/// A mailer that hands messages to a channel (say, for an application's own queue):
/// ```
/// use authgate::mail::{MailError, MailFuture, Mailer, Message};
///
/// #[derive(Debug)]
/// struct Channel(tokio::sync::mpsc::UnboundedSender<Message>);
///
/// impl Mailer for Channel {
///     fn send<'a>(&'a self, message: &'a Message) -> MailFuture<'a> {
///         Box::pin(async move {
///             self.0.send(message.clone()).map_err(|_| MailError::other("the channel is closed"))
///         })
///     }
/// }
/// let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
/// let mailer: std::sync::Arc<dyn Mailer> = std::sync::Arc::new(Channel(tx));
/// assert!(format!("{mailer:?}").starts_with("Channel"));
/// ```
pub trait Mailer: fmt::Debug + Send + Sync + 'static {
    /// Sends `message`.
    fn send<'a>(&'a self, message: &'a Message) -> MailFuture<'a>;
}

/// Why a message was not delivered. Its text never holds the message (nor the link in it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailError {
    /// The server could not be reached (refused, unresolvable, TLS failed).
    Connect(String),
    /// The server refused the message or the sender or recipient (a 4xx/5xx answer).
    Rejected(String),
    /// The send took longer than [`mail_timeout`](crate::AuthBuilder::mail_timeout).
    Timeout,
    /// Anything else (a file that could not be written, a custom mailer's failure).
    Other(String),
}

impl MailError {
    /// A failure of another kind.
    pub fn other(reason: impl Into<String>) -> Self {
        MailError::Other(reason.into())
    }
}

impl fmt::Display for MailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailError::Connect(reason) => write!(f, "could not reach the mail server: {reason}"),
            MailError::Rejected(reason) => {
                write!(f, "the mail server refused the message: {reason}")
            }
            MailError::Timeout => f.write_str("the mail server did not answer in time"),
            MailError::Other(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for MailError {}
