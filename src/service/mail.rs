//! Sending notification e-mails through the configured SMTP relay (lettre,
//! on tokio with rustls). Requests never send: they queue in the outbox,
//! which [`super::notifications::deliver_outbox`] empties.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::domain::notification::OutboxEmail;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP upgraded with STARTTLS (required), usually port 587.
    StartTls,
    /// TLS from the first byte, usually port 465.
    Tls,
    /// No encryption: only for a relay on this machine or a test sink.
    None,
}

impl SmtpSecurity {
    pub fn parse(s: &str) -> Option<SmtpSecurity> {
        match s {
            "starttls" => Some(SmtpSecurity::StartTls),
            "tls" => Some(SmtpSecurity::Tls),
            "none" => Some(SmtpSecurity::None),
            _ => None,
        }
    }
}

/// The SMTP relay e-mails go through (`atlasview serve --smtp-host …`).
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// The sender address, e.g. `atlasview <atlasview@example.org>`.
    pub from: String,
    pub security: SmtpSecurity,
    /// User name and password, when the relay wants them.
    pub credentials: Option<(String, String)>,
    /// Where the server is reached (`https://atlas.example.org`), for the
    /// links of an e-mail; without it they are paths.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    // The password stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .finish()
    }
}

/// A connection recipe for the relay, checked once at start.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
    public_url: String,
}

impl Mailer {
    pub fn new(s: &SmtpSettings) -> Result<Mailer, String> {
        let from = s
            .from
            .parse()
            .map_err(|e| format!("the sender address `{}`: {e}", s.from))?;
        let builder = match s.security {
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| e.to_string())?,
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| e.to_string())?
            }
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        };
        let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(30)));
        // Greet the relay with this server's own name, when known.
        if let Some(host) = s
            .public_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_string))
        {
            builder = builder.hello_name(ClientId::Domain(host));
        }
        if let Some((user, password)) = &s.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            public_url: s
                .public_url
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
        })
    }

    /// The text of an e-mail: the notification, then where to see it and
    /// where to choose what one is told.
    pub fn body(&self, email: &OutboxEmail) -> String {
        let base = &self.public_url;
        format!(
            "{}\n\nThe incident: {base}/incidents/{}\nYour notifications: {base}/notifications\n\
             Choose what you are told, and how: {base}/notifications/settings\n",
            email.body, email.incident_id
        )
    }

    /// Sends one e-mail; the error says why not.
    pub async fn send(&self, email: &OutboxEmail) -> Result<(), String> {
        let to = email
            .to_address
            .parse()
            .map_err(|e| format!("the address `{}`: {e}", email.to_address))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(self.body(email))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
