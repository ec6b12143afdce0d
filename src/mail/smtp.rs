//! [`SmtpMailer`]: delivery to an SMTP server through `lettre` (tokio, rustls with ring),
//! with implicit TLS, STARTTLS or (explicitly) none, authentication, and a timeout.

use std::fmt;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::mailer::{MailError, MailFuture, Mailer};
use super::message::Message;

/// How long one connection and each SMTP command may take, unless set.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmtpSecurity {
    /// TLS from the first byte (`smtps://`, usually port 465).
    ImplicitTls,
    /// A plain connection upgraded with `STARTTLS`, which the server must offer (`smtp://`,
    /// usually port 587). The default.
    StartTls,
    /// No encryption at all (`smtp://…?tls=none`): only for a relay on the same machine or a
    /// development catcher. Credentials are refused over it unless the host is a loopback one.
    Plaintext,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::ImplicitTls => 465,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Plaintext => 25,
        }
    }
}

/// Sends through an SMTP server. Build it with [`SmtpMailer::builder`] or
/// [`SmtpMailer::from_url`].
///
/// # Examples
/// ```
/// use authgate::mail::{SmtpMailer, SmtpSecurity};
///
/// let mailer = SmtpMailer::from_url("smtps://app:app-password@smtp.example.com")?
///     .from("Acme <no-reply@acme.example>")
///     .build()?;
/// assert_eq!(mailer.security(), SmtpSecurity::ImplicitTls);
/// assert_eq!(mailer.port(), 465);
/// assert!(!format!("{mailer:?}").contains("app-password"));
/// # Ok::<(), authgate::mail::MailError>(())
/// ```
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
    security: SmtpSecurity,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// The settings of an [`SmtpMailer`].
#[derive(Clone)]
#[must_use = "an SmtpMailerBuilder does nothing until built"]
pub struct SmtpMailerBuilder {
    host: String,
    port: Option<u16>,
    security: SmtpSecurity,
    credentials: Option<(String, String)>,
    timeout: Duration,
    root_certificates: Vec<Vec<u8>>,
    accept_invalid_certs: bool,
    from: Option<String>,
}

impl fmt::Debug for SmtpMailerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailerBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `host`, with STARTTLS on port 587 and a 30 s timeout unless changed.
    pub fn builder(host: impl Into<String>) -> SmtpMailerBuilder {
        SmtpMailerBuilder {
            host: host.into(),
            port: None,
            security: SmtpSecurity::StartTls,
            credentials: None,
            timeout: DEFAULT_TIMEOUT,
            root_certificates: Vec::new(),
            accept_invalid_certs: false,
            from: None,
        }
    }

    /// A mailer from a URL: `smtps://user:password@host:port` (implicit TLS),
    /// `smtp://user:password@host:port` (STARTTLS), or `smtp://host:port?tls=none` (no
    /// encryption). User and password are percent-decoded.
    ///
    /// # Errors
    /// [`MailError::Other`] for another scheme, no host, or an unknown `tls` value.
    pub fn from_url(url: &str) -> Result<SmtpMailerBuilder, MailError> {
        let invalid = |reason: &str| MailError::other(format!("invalid SMTP URL: {reason}"));
        let parsed = url::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
        let mut security = match parsed.scheme() {
            "smtps" => SmtpSecurity::ImplicitTls,
            "smtp" => SmtpSecurity::StartTls,
            _ => return Err(invalid("the scheme must be smtp or smtps")),
        };
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if security == SmtpSecurity::StartTls => {
                    security = SmtpSecurity::Plaintext;
                }
                ("tls", "starttls" | "required") if security == SmtpSecurity::StartTls => {}
                _ => {
                    return Err(invalid(
                        "the only parameter is tls=none or tls=starttls (smtp://)",
                    ));
                }
            }
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("it has no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let mut builder = SmtpMailer::builder(host).security(security);
        if let Some(port) = parsed.port() {
            builder = builder.port(port);
        }
        if !parsed.username().is_empty() {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map(|s| s.into_owned())
                    .map_err(|_| invalid("the user or password is not UTF-8"))
            };
            let user = decode(parsed.username())?;
            let password = decode(parsed.password().unwrap_or_default())?;
            builder = builder.credentials(user, password);
        }
        Ok(builder)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is protected.
    pub fn security(&self) -> SmtpSecurity {
        self.security
    }
}

impl SmtpMailerBuilder {
    /// The port (default: 465 for implicit TLS, 587 for STARTTLS, 25 without TLS).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// How the connection is protected (default [`SmtpSecurity::StartTls`]).
    pub fn security(mut self, security: SmtpSecurity) -> Self {
        self.security = security;
        self
    }

    /// Authenticates with `AUTH PLAIN` or `AUTH LOGIN`.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// How long connecting and each SMTP command may take (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trusts this PEM certificate as a root besides the built-in ones (a private CA, or a
    /// test server's self-signed certificate).
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// **Dangerous**: accepts any certificate, so anyone between here and the server can read
    /// the mails (and the tokens in them). For a development server only; prefer
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem).
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// The sender, e.g. `Acme <no-reply@acme.example>` (default `no-reply@<host>`).
    pub fn from(mut self, mailbox: impl Into<String>) -> Self {
        self.from = Some(mailbox.into());
        self
    }

    /// Checks the settings and builds the mailer (it connects only when sending).
    ///
    /// # Errors
    /// [`MailError::Other`] for an unparsable sender or certificate, a zero timeout, or
    /// credentials over an unencrypted connection to a host other than a loopback one.
    pub fn build(self) -> Result<SmtpMailer, MailError> {
        if self.timeout.is_zero() {
            return Err(MailError::other(
                "the SMTP timeout must be longer than zero",
            ));
        }
        let from = parse_mailbox(
            self.from
                .clone()
                .unwrap_or_else(|| format!("no-reply@{}", self.host)),
        )?;
        let port = self.port.unwrap_or(self.security.default_port());
        if self.security == SmtpSecurity::Plaintext
            && self.credentials.is_some()
            && !is_loopback(&self.host)
        {
            return Err(MailError::other(
                "SMTP credentials over an unencrypted connection would travel in clear: use \
                 STARTTLS or implicit TLS",
            ));
        }
        let tls = match self.security {
            SmtpSecurity::Plaintext => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(self.tls_parameters()?),
            SmtpSecurity::ImplicitTls => Tls::Wrapper(self.tls_parameters()?),
        };
        let mut transport =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
                .port(port)
                .tls(tls)
                .timeout(Some(self.timeout));
        if let Some((user, password)) = self.credentials {
            transport = transport.credentials(Credentials::new(user, password));
        }
        Ok(SmtpMailer {
            transport: transport.build(),
            from,
            host: self.host,
            port,
            security: self.security,
        })
    }

    fn tls_parameters(&self) -> Result<TlsParameters, MailError> {
        let mut parameters = TlsParameters::builder(self.host.clone())
            .dangerous_accept_invalid_certs(self.accept_invalid_certs);
        for pem in &self.root_certificates {
            let certificate = Certificate::from_pem(pem)
                .map_err(|e| MailError::other(format!("unreadable root certificate: {e}")))?;
            parameters = parameters.add_root_certificate(certificate);
        }
        parameters
            .build_rustls()
            .map_err(|e| MailError::other(format!("TLS set-up failed: {e}")))
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn parse_mailbox(mailbox: String) -> Result<Mailbox, MailError> {
    mailbox
        .parse()
        .map_err(|e| MailError::other(format!("invalid sender {mailbox:?}: {e}")))
}

/// The message in RFC 5322 form, `multipart/alternative` with its text and HTML parts.
pub(super) fn format(from: &Mailbox, message: &Message) -> Result<lettre::Message, MailError> {
    let to: Mailbox = message
        .to
        .parse()
        .map_err(|_| MailError::other("the recipient's address cannot be written in a mail"))?;
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            message.text.clone(),
            message.html.clone(),
        ))
        .map_err(|e| MailError::other(format!("could not write the mail: {e}")))
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, message: &'a Message) -> MailFuture<'a> {
        Box::pin(async move {
            let mail = format(&self.from, message)?;
            self.transport.send(mail).await.map(drop).map_err(|err| {
                if err.is_timeout() {
                    MailError::Timeout
                } else if err.is_permanent() || err.is_transient() {
                    MailError::Rejected(err.to_string())
                } else {
                    MailError::Connect(err.to_string())
                }
            })
        })
    }
}
