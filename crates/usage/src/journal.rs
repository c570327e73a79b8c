//! The append-only journals of the usage pipeline, one JSON record per line.
//!
//! The journal holds records the database could not take (it was unreachable, or the queue
//! was full); it is fsync'd per batch and replayed in order when the database answers again
//! and at start-up. Records carry their own id and are inserted with insert-or-ignore, so a
//! replay that is interrupted and run again never counts a request twice.
//!
//! The dead-letter file holds records that failed permanently (a constraint), with the reason;
//! nothing reads it back automatically: an operator looks at it.

use std::{
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use serde::Serialize;

use crate::UsageRecord;

/// Records read back per replay step: bounded memory whatever the journal's size.
pub(crate) const REPLAY_CHUNK: usize = 2_000;

pub(crate) struct Journal {
    file: File,
}

/// What one replay step read: records, lines that could not be parsed, where it stopped.
pub(crate) struct ReplayChunk {
    pub records: Vec<UsageRecord>,
    pub unreadable: Vec<String>,
    pub next_offset: u64,
    pub at_end: bool,
}

impl Journal {
    /// Opens (creating it and its folder) and locks the journal, so that two instances
    /// sharing a data directory never interleave or replay each other's records twice.
    pub(crate) fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        file.try_lock().map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("{} is in use by another instance: {error}", path.display()),
            )
        })?;
        Ok(Self { file })
    }

    /// Moves every line of `other` (a journal another process left) to the end of this one.
    pub(crate) fn adopt(&mut self, other: &Path) -> std::io::Result<()> {
        let orphan = Journal::open(other)?;
        let mut reader = orphan.file.try_clone()?;
        reader.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut reader, &mut self.file)?;
        self.sync()?;
        drop(orphan);
        std::fs::remove_file(other)
    }

    /// Appends the records and fsyncs once: after this returns they survive a crash.
    pub(crate) fn append(&mut self, records: &[UsageRecord]) -> std::io::Result<()> {
        self.append_unsynced(records)?;
        self.sync()
    }

    /// Appends without waiting for the disk (the request path, when the queue is full).
    pub(crate) fn append_unsynced(&mut self, records: &[UsageRecord]) -> std::io::Result<()> {
        let mut out = Vec::with_capacity(records.len() * 320);
        for record in records {
            serde_json::to_writer(&mut out, record)?;
            out.push(b'\n');
        }
        self.file.write_all(&out)
    }

    pub(crate) fn sync(&mut self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    /// Lines in the journal (at start-up, for the readiness report).
    pub(crate) fn count_lines(&self) -> std::io::Result<u64> {
        let mut reader = BufReader::new(self.file.try_clone()?);
        reader.seek(SeekFrom::Start(0))?;
        let mut count = 0;
        loop {
            let buffer = reader.fill_buf()?;
            if buffer.is_empty() {
                return Ok(count);
            }
            count += buffer.iter().filter(|&&b| b == b'\n').count() as u64;
            let len = buffer.len();
            reader.consume(len);
        }
    }

    /// Reads up to [`REPLAY_CHUNK`] records from `offset`. A torn last line (the process was
    /// killed mid-write) or any other unparsable line is returned apart, never silently lost.
    pub(crate) fn read_from(&self, offset: u64) -> std::io::Result<ReplayChunk> {
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(offset))?;
        let mut reader = BufReader::new(file);
        let mut chunk = ReplayChunk {
            records: Vec::new(),
            unreadable: Vec::new(),
            next_offset: offset,
            at_end: false,
        };
        let mut line = String::new();
        while chunk.records.len() < REPLAY_CHUNK {
            line.clear();
            let read = reader.read_line(&mut line)?;
            if read == 0 {
                chunk.at_end = true;
                break;
            }
            chunk.next_offset += read as u64;
            let text = line.trim_end();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_str::<UsageRecord>(text) {
                Ok(record) => chunk.records.push(record),
                Err(_) => chunk.unreadable.push(text.to_owned()),
            }
        }
        Ok(chunk)
    }

    /// Empties the journal once everything in it is in the database.
    pub(crate) fn clear(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.sync_data()
    }
}

/// Records that can never be written, kept with the reason for an operator.
pub(crate) struct DeadLetters {
    path: PathBuf,
}

#[derive(Serialize)]
struct DeadLetter<'a> {
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a UsageRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<&'a str>,
}

impl DeadLetters {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub(crate) fn add(
        &self,
        reason: &str,
        record: Option<&UsageRecord>,
        line: Option<&str>,
    ) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let mut out = serde_json::to_vec(&DeadLetter {
            reason,
            record,
            line,
        })?;
        out.push(b'\n');
        file.write_all(&out)?;
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> UsageRecord {
        UsageRecord {
            id: id.into(),
            user_id: "u".into(),
            api_key_id: None,
            kind: "chat".into(),
            model: "m".into(),
            upstream: None,
            stream: false,
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
            estimated: false,
            ttft_ms: None,
            latency_ms: 4,
            status: 200,
            cancelled: false,
            created_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .and_then(|d| d.and_hms_micro_opt(1, 2, 3, 456_789))
                .unwrap(),
            cost_usd: 0.25,
            session_id: Some("s".into()),
            message_id: Some("m".into()),
            images: 0,
        }
    }

    #[test]
    fn records_round_trip_in_order_and_a_torn_line_is_set_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&[record("a"), record("b")]).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"id\":\"torn")
            .unwrap();
        let chunk = journal.read_from(0).unwrap();
        assert_eq!(chunk.records, vec![record("a"), record("b")]);
        assert_eq!(chunk.unreadable, vec!["{\"id\":\"torn".to_owned()]);
        assert!(chunk.at_end);
        assert_eq!(journal.count_lines().unwrap(), 2);
        journal.clear().unwrap();
        assert_eq!(journal.count_lines().unwrap(), 0);
    }

    #[test]
    fn a_line_written_before_the_later_columns_still_parses() {
        let mut old = serde_json::to_value(record("a")).unwrap();
        for field in ["cost_usd", "session_id", "message_id"] {
            old.as_object_mut().unwrap().remove(field);
        }
        let parsed: UsageRecord = serde_json::from_value(old).unwrap();
        assert_eq!(
            (parsed.cost_usd, parsed.session_id, parsed.message_id),
            (0.0, None, None)
        );
    }

    #[test]
    fn a_second_instance_cannot_take_the_same_journal_and_orphans_are_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut first = Journal::open(&path).unwrap();
        assert!(Journal::open(&path).is_err());
        let orphan_path = dir.path().join("j.123.jsonl");
        let mut orphan = Journal::open(&orphan_path).unwrap();
        orphan.append(&[record("x")]).unwrap();
        drop(orphan);
        first.adopt(&orphan_path).unwrap();
        assert!(!orphan_path.exists());
        assert_eq!(first.read_from(0).unwrap().records, vec![record("x")]);
    }
}
