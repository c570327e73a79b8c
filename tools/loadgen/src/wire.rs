//! The bytes of a response: the head (status, keep-alive, body framing) and a counter of the
//! server-sent events in a body that arrives in pieces.

use std::io;
use std::time::Instant;

use crate::http::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub status: u16,
    pub keep_alive: bool,
    pub body: Body,
}

pub(crate) fn parse_head(head: &[u8]) -> io::Result<Head> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    let http11 = status_line.starts_with(b"HTTP/1.1 ");
    if !http11 && !status_line.starts_with(b"HTTP/1.0 ") {
        return Err(invalid("not an HTTP/1.x response"));
    }
    let status = status_line
        .get(9..12)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let mut keep_alive = http11;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            let len = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or_else(|| invalid("bad Content-Length"))?;
            length = Some(len);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // The last coding decides the framing (`gzip, chunked` is chunked too).
            chunked = value.len() >= 7 && value[value.len() - 7..].eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case(b"connection") {
            if value.eq_ignore_ascii_case(b"close") {
                keep_alive = false;
            } else if value.eq_ignore_ascii_case(b"keep-alive") {
                keep_alive = true;
            }
        }
    }
    let body = if status == 204 || status == 304 || (100..200).contains(&status) {
        Body::None
    } else if chunked {
        Body::Chunked
    } else if let Some(len) = length {
        Body::Length(len)
    } else {
        Body::UntilClose
    };
    Ok(Head {
        status,
        keep_alive,
        body,
    })
}

/// Counts `data:` in a body that arrives in pieces, including one split across two pieces.
#[derive(Default)]
pub(crate) struct EventScan {
    /// How many bytes of `data:` the previous piece ended with.
    matched: usize,
}

const DATA: &[u8] = b"data:";

impl EventScan {
    pub(crate) fn feed(&mut self, bytes: &[u8], response: &mut Response) {
        for &b in bytes {
            if b == DATA[self.matched] {
                self.matched += 1;
                if self.matched == DATA.len() {
                    response.events += 1;
                    self.matched = 0;
                }
            } else {
                self.matched = usize::from(b == DATA[0]);
            }
        }
        if response.events > 0 && response.first_event.is_none() {
            response.first_event = Some(Instant::now());
        }
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_pick_the_body_framing() {
        let head = parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n").unwrap();
        assert_eq!(
            head,
            Head {
                status: 200,
                keep_alive: true,
                body: Body::Length(12)
            }
        );
        let head = parse_head(
            b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            head,
            Head {
                status: 502,
                keep_alive: false,
                body: Body::Chunked
            }
        );
        let head = parse_head(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
        assert_eq!(
            head,
            Head {
                status: 200,
                keep_alive: false,
                body: Body::UntilClose
            }
        );
        assert!(parse_head(b"SSH-2.0\r\n\r\n").is_err());
    }

    #[test]
    fn events_are_counted_across_piece_boundaries() {
        let mut scan = EventScan::default();
        let mut response = Response {
            status: 200,
            keep_alive: true,
            first_event: None,
            events: 0,
        };
        scan.feed(b": keep-alive\n\nda", &mut response);
        assert_eq!(
            (response.events, response.first_event.is_some()),
            (0, false)
        );
        scan.feed(b"ta: {}\n\nddata: [DONE]\n\n", &mut response);
        assert_eq!((response.events, response.first_event.is_some()), (2, true));
    }
}
