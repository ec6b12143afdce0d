//! A [`Message`] and the [`MailTemplates`] that write it.

use std::fmt;

/// Which account mail a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailKind {
    /// A link that verifies the address (after sign-up, on request, or a new address).
    VerifyEmail,
    /// A link to choose a new password.
    ResetPassword,
    /// To the current address: a link that approves changing it to another.
    ChangeEmailConfirmation,
    /// A link that deletes the account.
    DeleteAccount,
}

/// What a template gets to write one mail.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct MailContext<'a> {
    /// The product's name ([`app_name`](crate::AuthBuilder::app_name)).
    pub app_name: &'a str,
    /// The recipient's address.
    pub to: &'a str,
    /// The user's name (may be empty).
    pub user_name: &'a str,
    /// The link to follow (it holds the token).
    pub link: &'a str,
    /// For a change of address: the new address.
    pub new_email: Option<&'a str>,
}

/// A written mail: the subject, the plain-text part and the HTML part.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Writes the account mails. Every method has a default (English, plain); replace the ones
/// you want with [`AuthBuilder::mail_templates`](crate::AuthBuilder::mail_templates).
///
/// # Examples
/// ```
/// use authgate::mail::{DefaultTemplates, MailContext, MailKind, MailTemplates, Rendered};
///
/// #[derive(Debug)]
/// struct German;
/// impl MailTemplates for German {
///     fn render(&self, kind: MailKind, mail: &MailContext<'_>) -> Rendered {
///         match kind {
///             MailKind::ResetPassword => Rendered {
///                 subject: format!("{}: neues Passwort", mail.app_name),
///                 text: format!("Hier entlang: {}", mail.link),
///                 html: format!("<a href=\"{}\">Neues Passwort</a>", mail.link),
///             },
///             other => DefaultTemplates.render(other, mail),
///         }
///     }
/// }
/// # let mail = authgate::mail::MailContext::example("https://a.example/x");
/// assert!(German.render(MailKind::ResetPassword, &mail).text.contains("https://a.example/x"));
/// ```
pub trait MailTemplates: fmt::Debug + Send + Sync + 'static {
    /// The mail of `kind`.
    fn render(&self, kind: MailKind, mail: &MailContext<'_>) -> Rendered {
        DefaultTemplates.render(kind, mail)
    }
}

impl<'a> MailContext<'a> {
    /// A context for trying out templates: app `Example`, to `ada@example.com`, name `Ada`.
    pub fn example(link: &'a str) -> Self {
        MailContext {
            app_name: "Example",
            to: "ada@example.com",
            user_name: "Ada",
            link,
            new_email: None,
        }
    }
}

/// authgate's own wording.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultTemplates;

impl MailTemplates for DefaultTemplates {
    fn render(&self, kind: MailKind, mail: &MailContext<'_>) -> Rendered {
        let app = mail.app_name;
        let (subject, lead, action, tail) = match kind {
            MailKind::VerifyEmail => (
                format!("Verify your email address for {app}"),
                format!("Please confirm that {} is your address.", mail.to),
                "Verify my address",
                "If you did not create an account, you can ignore this mail.",
            ),
            MailKind::ResetPassword => (
                format!("Reset your {app} password"),
                "Someone asked to reset the password of your account.".to_owned(),
                "Choose a new password",
                "If it was not you, ignore this mail: your password stays as it is.",
            ),
            MailKind::ChangeEmailConfirmation => (
                format!("Approve the change of your {app} email address"),
                format!(
                    "Someone asked to change your account's address to {}.",
                    mail.new_email.unwrap_or_default()
                ),
                "Approve the change",
                "If it was not you, ignore this mail and change your password.",
            ),
            MailKind::DeleteAccount => (
                format!("Confirm the deletion of your {app} account"),
                "Someone asked to delete your account. This cannot be undone.".to_owned(),
                "Delete my account",
                "If it was not you, ignore this mail: nothing is deleted.",
            ),
        };
        let greeting = if mail.user_name.is_empty() {
            "Hello,".to_owned()
        } else {
            format!("Hello {},", mail.user_name)
        };
        let text = format!(
            "{greeting}\n\n{lead}\n\n{action}:\n{}\n\n{tail}\n\n-- {app}\n",
            mail.link
        );
        let html = format!(
            "<!doctype html><html><body><p>{}</p><p>{}</p><p><a href=\"{}\">{}</a></p>\
             <p>{}</p><p>&mdash; {}</p></body></html>",
            escape(&greeting),
            escape(&lead),
            escape(mail.link),
            escape(action),
            escape(tail),
            escape(app)
        );
        Rendered {
            subject,
            text,
            html,
        }
    }
}

/// HTML-escapes text and attribute values.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One mail to send.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// Which mail it is.
    pub kind: MailKind,
    /// The recipient.
    pub to: String,
    /// The link in it (it holds a token: never log it).
    pub link: String,
    /// The subject line.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

impl Message {
    /// A message of `kind` to `to`, written by `rendered`.
    pub fn new(
        kind: MailKind,
        to: impl Into<String>,
        link: impl Into<String>,
        rendered: Rendered,
    ) -> Self {
        Message {
            kind,
            to: to.into(),
            link: link.into(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_mail_names_the_product_and_holds_the_link_in_both_parts() {
        let link = "https://app.example/api/auth/verify-email?token=a.b.c&callbackURL=%2F";
        let mail = MailContext {
            app_name: "Acme <Cloud>",
            to: "ada@example.com",
            user_name: "Ada",
            link,
            new_email: Some("new@example.com"),
        };
        for kind in [
            MailKind::VerifyEmail,
            MailKind::ResetPassword,
            MailKind::ChangeEmailConfirmation,
            MailKind::DeleteAccount,
        ] {
            let rendered = DefaultTemplates.render(kind, &mail);
            assert!(rendered.subject.contains("Acme <Cloud>"), "{kind:?}");
            assert!(rendered.text.contains(link), "{kind:?}");
            assert!(rendered.html.contains(&escape(link)), "{kind:?}");
            assert!(rendered.html.contains("Acme &lt;Cloud&gt;"), "{kind:?}");
            assert!(!rendered.html.contains("<Cloud>"), "{kind:?}");
        }
    }

    #[test]
    fn debug_output_holds_no_link() {
        let message = Message::new(
            MailKind::ResetPassword,
            "ada@example.com",
            "https://x.example/reset-password/SECRETTOKEN",
            DefaultTemplates.render(
                MailKind::ResetPassword,
                &MailContext::example("https://x.example/reset-password/SECRETTOKEN"),
            ),
        );
        assert!(!format!("{message:?}").contains("SECRETTOKEN"));
    }
}
