//! A small SMTP server speaking real SMTP over TCP, started by a test, so that mail the gateway
//! sends through lettre can be read back: who it went to and what it says.

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing undone.
    pub data: String,
}

impl Mail {
    /// The message with quoted-printable undone (soft line breaks and `=XX` escapes), as a
    /// mail reader shows it.
    pub fn text(&self) -> String {
        if !self
            .data
            .to_ascii_lowercase()
            .contains("content-transfer-encoding: quoted-printable")
        {
            return self.data.clone();
        }
        let joined = self.data.replace("=\n", "");
        let mut text = String::new();
        let mut rest = joined.as_str();
        while let Some(at) = rest.find('=') {
            text.push_str(&rest[..at]);
            match u8::from_str_radix(rest.get(at + 1..at + 3).unwrap_or(""), 16) {
                Ok(byte) => {
                    text.push(byte as char);
                    rest = &rest[at + 3..];
                }
                Err(_) => {
                    text.push('=');
                    rest = &rest[at + 1..];
                }
            }
        }
        text.push_str(rest);
        text
    }

    /// The token of the first `…?token=` link in the message.
    pub fn token(&self) -> Option<String> {
        let text = self.text();
        let start = text.find("token=")? + "token=".len();
        let token: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }
}

#[derive(Clone)]
pub struct MailServer {
    /// `smtp://127.0.0.1:PORT`, for `EMAIL_SMTP_URL`.
    pub url: String,
    inbox: Arc<Mutex<Vec<Mail>>>,
}

impl MailServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let server = inbox.clone();
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                actix_web::rt::spawn(session(stream, server.clone()));
            }
        });
        Self {
            url: format!("smtp://127.0.0.1:{port}"),
            inbox,
        }
    }

    pub fn messages(&self) -> Vec<Mail> {
        self.inbox.lock().unwrap().clone()
    }

    /// Every message delivered to `address`, oldest first.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|to| to.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits (up to 10 s) for the `nth` message (0-based) to `address` with a link to the
    /// frontend's `page` (`verify-email`, `reset-password`), and returns it.
    pub async fn wait_for(&self, address: &str, page: &str, nth: usize) -> Mail {
        let link = format!("/{page}?token=");
        crate::eventually(
            10,
            &format!("no mail #{nth} to {address} for {page}"),
            || async {
                let mut found = self
                    .to(address)
                    .into_iter()
                    .filter(|m| m.text().contains(&link));
                found.nth(nth)
            },
        )
        .await
    }
}

async fn session(stream: TcpStream, inbox: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut reply = async |text: &str| write.write_all(format!("{text}\r\n").as_bytes()).await;
    if reply("220 studio-test ESMTP").await.is_err() {
        return;
    }
    let mut to = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" | "HELO" => "250-studio-test\r\n250 8BITMIME".to_owned(),
            "MAIL" => {
                to.clear();
                "250 OK".to_owned()
            }
            "RCPT" => {
                let address = line
                    .split_once('<')
                    .and_then(|(_, rest)| rest.split_once('>'))
                    .map(|(address, _)| address.to_owned())
                    .unwrap_or_default();
                to.push(address);
                "250 OK".to_owned()
            }
            "DATA" => {
                if reply("354 end with <CRLF>.<CRLF>").await.is_err() {
                    return;
                }
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push('\n');
                }
                inbox.lock().unwrap().push(Mail {
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 OK queued".to_owned()
            }
            "RSET" | "NOOP" => "250 OK".to_owned(),
            "QUIT" => {
                let _ = reply("221 bye").await;
                return;
            }
            _ => "502 not implemented".to_owned(),
        };
        if reply(&answer).await.is_err() {
            return;
        }
    }
}
