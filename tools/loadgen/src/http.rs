//! Just enough HTTP/1.1 client: write prebuilt request bytes, read one response (status line,
//! headers, a `Content-Length`, chunked or read-to-close body) on a kept-alive connection.
//!
//! The body is consumed as it arrives and never kept: the read buffer is allocated once per
//! connection, so the hot loop does not allocate.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wire::{find, invalid, parse_head, Body, EventScan};

/// Response heads (and chunk-size lines) must fit in this; bodies can be any size.
const BUFFER: usize = 64 * 1024;

/// What the caller needs to know about one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    /// The server will keep the connection open for the next request.
    pub keep_alive: bool,
    /// When the first body bytes holding `data:` (a server-sent event) arrived.
    pub first_event: Option<Instant>,
    /// How many `data:` fields the body held (0 for a plain body).
    pub events: u32,
}

pub(crate) struct Conn {
    stream: TcpStream,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Conn {
    pub(crate) async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: vec![0; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
        })
    }

    /// Sends `request` and reads the whole response.
    pub(crate) async fn exchange(&mut self, request: &[u8]) -> io::Result<Response> {
        if self.start != self.end {
            return Err(invalid("bytes arrived before the request was sent"));
        }
        self.start = 0;
        self.end = 0;
        self.stream.write_all(request).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> io::Result<Response> {
        let head_len = loop {
            if let Some(at) = find(self.available(), b"\r\n\r\n") {
                break at + 4;
            }
            self.fill().await?;
        };
        let head = parse_head(&self.buf[self.start..self.start + head_len])?;
        self.start += head_len;
        let mut response = Response {
            status: head.status,
            keep_alive: head.keep_alive,
            first_event: None,
            events: 0,
        };
        let mut scan = EventScan::default();
        match head.body {
            Body::None => {}
            Body::Length(len) => self.skip_body(len, &mut scan, &mut response).await?,
            Body::Chunked => loop {
                let size = self.chunk_size().await?;
                if size == 0 {
                    self.skip_trailers().await?;
                    break;
                }
                self.skip_body(size, &mut scan, &mut response).await?;
                self.expect_crlf().await?;
            },
            Body::UntilClose => {
                response.keep_alive = false;
                loop {
                    match self.fill().await {
                        Ok(()) => self.consume_all(&mut scan, &mut response),
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(response)
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads more bytes after what is buffered; end of stream is an `UnexpectedEof` error.
    async fn fill(&mut self) -> io::Result<()> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start == 0 {
                return Err(invalid("response head or chunk line larger than 64 KiB"));
            }
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.end += n;
        Ok(())
    }

    fn consume_all(&mut self, scan: &mut EventScan, response: &mut Response) {
        scan.feed(&self.buf[self.start..self.end], response);
        self.start = self.end;
    }

    async fn skip_body(
        &mut self,
        mut len: usize,
        scan: &mut EventScan,
        response: &mut Response,
    ) -> io::Result<()> {
        loop {
            let take = len.min(self.end - self.start);
            scan.feed(&self.buf[self.start..self.start + take], response);
            self.start += take;
            len -= take;
            if len == 0 {
                return Ok(());
            }
            self.fill().await?;
        }
    }

    async fn line(&mut self) -> io::Result<usize> {
        loop {
            if let Some(at) = find(self.available(), b"\r\n") {
                return Ok(at);
            }
            self.fill().await?;
        }
    }

    async fn chunk_size(&mut self) -> io::Result<usize> {
        let len = self.line().await?;
        let line = &self.buf[self.start..self.start + len];
        let hex = line.split(|&b| b == b';').next().unwrap_or_default();
        let size = std::str::from_utf8(hex)
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .ok_or_else(|| invalid("bad chunk size line"))?;
        self.start += len + 2;
        Ok(size)
    }

    async fn expect_crlf(&mut self) -> io::Result<()> {
        if self.line().await? != 0 {
            return Err(invalid("chunk data longer than its size"));
        }
        self.start += 2;
        Ok(())
    }

    async fn skip_trailers(&mut self) -> io::Result<()> {
        loop {
            let len = self.line().await?;
            self.start += len + 2;
            if len == 0 {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A server that answers each request with the next canned response, split into small
    /// writes so the client has to reassemble heads, chunk lines and bodies.
    async fn serve(responses: Vec<&'static [u8]>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            for response in responses {
                let _ = socket.read(&mut buf).await.unwrap();
                for piece in response.chunks(7) {
                    socket.write_all(piece).await.unwrap();
                    socket.flush().await.unwrap();
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn keep_alive_responses_of_each_framing_are_read_whole() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              f;ext=1\r\ndata: {\"a\":1}\n\n\r\nE\r\ndata: [DONE]\n\n\r\n0\r\nX-T: 1\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
        ])
        .await;
        let mut conn = Conn::connect(addr).await.unwrap();
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let plain = conn.exchange(request).await.unwrap();
        assert_eq!(
            (plain.status, plain.events, plain.keep_alive),
            (200, 0, true)
        );
        let stream = conn.exchange(request).await.unwrap();
        assert_eq!((stream.status, stream.events), (200, 2));
        assert!(stream.first_event.is_some());
        let missing = conn.exchange(request).await.unwrap();
        assert_eq!(missing.status, 404);
    }
}
