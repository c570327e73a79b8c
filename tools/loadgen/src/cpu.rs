//! CPU time from /proc: of the processes under test, of the load generator itself and of the
//! whole machine, so a run can tell how much CPU went to something else (background noise).

/// `CLK_TCK`: 100 on every Linux configuration that matters (asking `getconf` needs a process).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
fn process_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: count fields after the last `)`.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_ascii_whitespace();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// Busy CPU time of all cores together (everything but idle and iowait), from `/proc/stat`.
fn machine_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = line
        .split_ascii_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4);
    Some(busy.map(|(_, t)| *t).sum::<u64>() as f64 / TICKS_PER_SECOND)
}

/// The soft limit on open files, from `/proc/self/limits`.
pub(crate) fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.get("Max open files".len()..)?
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU seconds used so far, at one instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pids: Vec<(u32, Option<f64>)>,
    own: Option<f64>,
    machine: Option<f64>,
}

impl Snapshot {
    pub(crate) fn take(pids: &[u32]) -> Self {
        Self {
            pids: pids
                .iter()
                .map(|&pid| (pid, process_seconds(&pid.to_string())))
                .collect(),
            own: process_seconds("self"),
            machine: machine_seconds(),
        }
    }
}

/// CPU seconds used between two snapshots.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Usage {
    /// Per tracked process (`None` when it could not be read, e.g. it exited).
    pub pids: Vec<(u32, Option<f64>)>,
    pub loadgen: Option<f64>,
    /// All cores, every process.
    pub machine: Option<f64>,
}

impl Usage {
    pub(crate) fn between(before: &Snapshot, after: &Snapshot) -> Self {
        let delta = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
        Self {
            pids: before
                .pids
                .iter()
                .zip(&after.pids)
                .map(|(&(pid, a), &(_, b))| (pid, delta(a, b)))
                .collect(),
            loadgen: delta(before.own, after.own),
            machine: delta(before.machine, after.machine),
        }
    }

    /// CPU the machine spent outside the load generator and the tracked processes.
    pub(crate) fn others(&self) -> Option<f64> {
        let tracked: Option<f64> = self.pids.iter().map(|(_, cpu)| *cpu).sum();
        Some((self.machine? - self.loadgen? - tracked?).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_and_the_machine_have_cpu_times_and_a_file_limit() {
        let snapshot = Snapshot::take(&[std::process::id()]);
        assert!(snapshot.pids[0].1.is_some());
        assert!(snapshot.own.is_some());
        assert!(snapshot.machine.is_some_and(|s| s > 0.0));
        assert!(open_files_limit().is_some_and(|n| n > 0));
    }

    #[test]
    fn a_vanished_process_has_no_usage() {
        let before = Snapshot::take(&[u32::MAX]);
        let usage = Usage::between(&before, &before.clone());
        assert_eq!(usage.pids, vec![(u32::MAX, None)]);
        assert_eq!(usage.others(), None);
        assert_eq!(usage.loadgen, Some(0.0));
    }
}
