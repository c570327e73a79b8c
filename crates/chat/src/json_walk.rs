//! A minimal JSON walker for the usage tap's fast scan: checks a value's structure (strings
//! with their escapes, objects, arrays, literals and numbers) while skipping it, and hands
//! out the ranges of what the caller reads. Strings are skipped eight bytes at a time.

use std::ops::Range;

const MAX_DEPTH: usize = 32;

pub(crate) struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Self { b, i: 0, depth: 0 }
    }

    /// A parser that starts at `i`, after a prefix of `b` that is already known to be valid.
    pub fn resume_at(b: &'a [u8], i: usize) -> Self {
        Self { i, ..Self::new(b) }
    }

    pub fn slice(&self, range: Range<usize>) -> &'a [u8] {
        &self.b[range]
    }

    /// Only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.b.len()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    pub fn peek(&mut self) -> Option<u8> {
        // Compact JSON has no whitespace between tokens: the common case costs one compare.
        match self.b.get(self.i) {
            Some(&c) if c > b' ' => Some(c),
            _ => {
                self.ws();
                self.b.get(self.i).copied()
            }
        }
    }

    pub fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string: its contents' range (between the quotes) and whether it has escapes.
    pub fn string(&mut self) -> Option<(Range<usize>, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i = plain_end(self.b, self.i);
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    let skip = match *self.b.get(self.i + 1)? {
                        b'u' => 6,
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        _ => return None,
                    };
                    self.i += skip;
                }
                0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        Some((start..self.i - 1, escaped))
    }

    /// A key with no escapes (one with escapes is left to serde).
    pub fn key(&mut self) -> Option<&'a [u8]> {
        let (range, escaped) = self.string()?;
        self.eat(b':')?;
        (!escaped).then(|| &self.b[range])
    }

    /// `{ key: value, … }`, `value` reading each value (it must consume it).
    pub fn object(
        &mut self,
        mut value: impl FnMut(&mut Self, &'a [u8]) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.key()?;
            value(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    pub fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Any value, checked and skipped; its range.
    pub fn value(&mut self) -> Option<Range<usize>> {
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                if self.peek()? == b'{' {
                    self.object(|p, _| p.value().map(drop))?;
                } else {
                    self.array(|p| p.value().map(drop))?;
                }
                self.depth -= 1;
            }
            _ => self.scalar()?,
        }
        Some(start..self.i)
    }

    /// `true`, `false`, `null` or a number.
    fn scalar(&mut self) -> Option<()> {
        let rest = &self.b[self.i..];
        for word in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(word) {
                self.i += word.len();
                return Some(());
            }
        }
        let len = number_len(rest)?;
        self.i += len;
        Some(())
    }

    pub fn is_null(&mut self) -> Option<bool> {
        let range = self.value()?;
        Some(&self.b[range] == b"null")
    }
}

/// The length of the JSON number at the start of `b` (RFC 8259's grammar: `-`, then `0` or
/// digits not starting with `0`, then optional `.digits` and `e±digits`), or `None`.
fn number_len(b: &[u8]) -> Option<usize> {
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some(i)
}

/// From `i`, the first byte that ends a string's plain run: `"`, `\\` or a control
/// character (or the end), eight bytes at a time.
fn plain_end(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The lowest byte flagged by each test is exact (a borrow only flags bytes above it).
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*chunk);
        let hits = zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b
        .get(i)
        .is_some_and(|&c| !matches!(c, b'"' | b'\\' | 0..=0x1f))
    {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_runs_end_at_quotes_backslashes_and_control_characters() {
        let text = b"abcdefghij\"klmnopqrstuvwxyz\\0123456789abcdef\x01end";
        let mut ends = Vec::new();
        let mut i = 0;
        while i < text.len() {
            i = plain_end(text, i);
            ends.push(i);
            i += 1;
        }
        let expected: Vec<usize> = (0..text.len())
            .filter(|&i| matches!(text[i], b'"' | b'\\' | 0..=0x1f))
            .chain([text.len()])
            .collect();
        assert_eq!(ends, expected);
        assert_eq!(
            plain_end("é\u{7f}\u{80}ÿ".as_bytes(), 0),
            "é\u{7f}\u{80}ÿ".len()
        );
    }

    #[test]
    fn numbers_follow_json_grammar_not_rusts() {
        for (text, len) in [
            (&b"0,"[..], Some(1)),
            (b"-12.5e+3}", Some(8)),
            (b"7E9", Some(3)),
            (b"01", Some(1)),
            (b"1.", None),
            (b"1e", None),
            (b"-", None),
            (b".5", None),
            (b"+1", None),
            (b"inf", None),
        ] {
            assert_eq!(number_len(text), len, "{}", String::from_utf8_lossy(text));
        }
    }
}
