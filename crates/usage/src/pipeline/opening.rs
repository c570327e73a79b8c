//! Opening the journal at start-up, and adopting the journals other processes left.

use std::path::Path;

use crate::journal::Journal;

/// Opens the configured journal and adopts the journals of this process's own that other
/// processes left beside it. If another live instance holds the journal (two instances
/// sharing a data directory), this one writes `<name>.<pid>.jsonl` beside it, which
/// whichever instance next starts with the main journal adopts.
pub(crate) fn open_journal(path: &Path) -> Option<Journal> {
    let error = match Journal::open(path) {
        Ok(mut journal) => {
            for orphan in orphans(path) {
                if let Err(error) = journal.adopt(&orphan) {
                    tracing::debug!(%error, journal = %orphan.display(), "journal not adopted");
                }
            }
            return Some(journal);
        }
        Err(error) => error,
    };
    let own = path.with_extension(format!("{}.jsonl", std::process::id()));
    match Journal::open(&own) {
        Ok(journal) => {
            tracing::warn!(%error, journal = %own.display(), "using a journal of this process's own");
            Some(journal)
        }
        Err(error) => {
            tracing::error!(%error, journal = %path.display(), "the usage journal cannot be opened");
            None
        }
    }
}

/// `<stem>.<pid>.jsonl` files beside the journal.
fn orphans(path: &Path) -> Vec<std::path::PathBuf> {
    let (Some(dir), Some(stem)) = (path.parent(), path.file_stem().and_then(|s| s.to_str())) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{stem}.");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|name| {
                name.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(".jsonl"))
                    .is_some_and(|pid| pid.parse::<u32>().is_ok())
            })
        })
        .collect()
}
