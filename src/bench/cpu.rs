//! Where a phase's CPU went, by thread group, from Linux's per-thread scheduler statistics
//! (`/proc/self/task/*/schedstat`: time on a CPU and time runnable but waiting for one). It
//! lets a bench show whether it ran out of cores, and which threads waited for one. And the
//! whole process's CPU time and page faults over a phase ([`ProcessUsage`]): what the phase
//! cost, a figure the machine's noise moves less than its wall time.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// What one thread group used over a phase, in cores (seconds per second of the phase).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CoreUse {
    /// On a CPU.
    pub busy: f64,
    /// Runnable, waiting for a CPU (the run queue's delay).
    pub waiting: f64,
}

/// Each thread's scheduler figures so far, by thread id, with its group (its name without a
/// trailing number: `sled-io-3` is `sled-io`). Empty where `/proc` has no such figures.
#[derive(Debug, Clone, Default)]
pub struct ThreadTimes(BTreeMap<u64, (String, Scheduled)>);

/// One thread's `schedstat`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Scheduled {
    on_cpu: Duration,
    waiting: Duration,
    /// How many times it was put on a CPU.
    runs: u64,
}

impl ThreadTimes {
    pub fn now() -> ThreadTimes {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return ThreadTimes::default() };
        let threads = tasks.filter_map(|task| {
            let task = task.ok()?;
            let tid = task.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(task.path().join("comm")).ok()?;
            let scheduled = parse_schedstat(&std::fs::read_to_string(task.path().join("schedstat")).ok()?)?;
            Some((tid, (group(name.trim()).to_owned(), scheduled)))
        });
        ThreadTimes(threads.collect())
    }

    /// Cores each group used from `earlier` to `self`, over `wall`. A thread that ended
    /// in between is not counted (its figures went with it).
    pub fn since(&self, earlier: &ThreadTimes, wall: Duration) -> BTreeMap<String, CoreUse> {
        let mut groups: BTreeMap<String, CoreUse> = BTreeMap::new();
        let seconds = wall.as_secs_f64().max(f64::MIN_POSITIVE);
        for (tid, (name, now)) in &self.0 {
            let before = earlier.0.get(tid).map_or_else(Scheduled::default, |(_, before)| *before);
            let used = groups.entry(name.clone()).or_default();
            used.busy += now.on_cpu.saturating_sub(before.on_cpu).as_secs_f64() / seconds;
            used.waiting += now.waiting.saturating_sub(before.waiting).as_secs_f64() / seconds;
        }
        groups
    }

    /// How many times the threads of `group` alive now have been put on a CPU, summed;
    /// `None` if none is.
    pub fn runs(&self, group: &str) -> Option<u64> {
        let mut runs =
            self.0.values().filter(|(name, _)| name == group).map(|(_, scheduled)| scheduled.runs).peekable();
        runs.peek()?;
        Some(runs.sum())
    }
}

/// `run_ns wait_ns timeslices`.
fn parse_schedstat(text: &str) -> Option<Scheduled> {
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let mut next = || fields.next()?.ok();
    Some(Scheduled { on_cpu: Duration::from_nanos(next()?), waiting: Duration::from_nanos(next()?), runs: next()? })
}

/// A thread's group: its name without a trailing `-N` or `N`.
fn group(name: &str) -> &str {
    name.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches('-')
}

/// The whole process's use so far: every thread's, those that ended included (`getrusage`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessUsage {
    /// User and system time.
    pub cpu: Duration,
    /// The system (kernel) part of `cpu`: page faults, reads, wake-ups.
    pub system: Duration,
    /// Page faults served without I/O: mostly first touches of fresh memory.
    pub minor_faults: u64,
}

impl ProcessUsage {
    /// `None` if the system would not say.
    pub fn now() -> Option<ProcessUsage> {
        let usage = crate::memory::resource_usage(libc::RUSAGE_SELF)?;
        let time = |t: libc::timeval| {
            Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
                + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
        };
        let minor_faults = u64::try_from(usage.ru_minflt).unwrap_or(0);
        let system = time(usage.ru_stime);
        Some(ProcessUsage { cpu: time(usage.ru_utime) + system, system, minor_faults })
    }

    /// What the process used from `earlier` ([`ProcessUsage::now`] then) to now; nothing
    /// where the system does not say.
    pub fn used_since(earlier: Option<ProcessUsage>) -> ProcessUsage {
        match (earlier, ProcessUsage::now()) {
            (Some(earlier), Some(now)) => now.since(&earlier),
            _ => ProcessUsage::default(),
        }
    }

    /// What was used from `earlier` to `self`.
    pub fn since(&self, earlier: &ProcessUsage) -> ProcessUsage {
        ProcessUsage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            system: self.system.saturating_sub(earlier.system),
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }
}

/// `group busy (waiting), …`, busiest first, with the total.
pub fn describe(groups: &BTreeMap<String, CoreUse>) -> String {
    if groups.is_empty() {
        return "unavailable (no /proc/self/task/*/schedstat)".to_owned();
    }
    let mut by_use: Vec<_> = groups.iter().filter(|(_, u)| u.busy >= 0.005).collect();
    by_use.sort_by(|a, b| b.1.busy.total_cmp(&a.1.busy));
    let total: f64 = groups.values().map(|u| u.busy).sum();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let parts: Vec<String> =
        by_use.iter().map(|(name, u)| format!("{name} {:.2} (waited {:.2})", u.busy, u.waiting)).collect();
    format!("{total:.2} of {cores} cores busy: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_usage_counts_cpu_and_faults_of_threads_that_ended() {
        let Some(before) = ProcessUsage::now() else { return }; // not on this system
        std::thread::spawn(|| {
            // 8 MiB of fresh pages, written, then a fixed amount of work (not a time: other
            // tests share the cores), on a thread that then ends.
            let pages = std::hint::black_box(vec![1u8; 8 << 20]);
            let mut sum = 0u64;
            for _ in 0..40 {
                sum = pages.iter().fold(sum, |sum, &b| std::hint::black_box(sum.wrapping_add(u64::from(b))));
            }
            std::hint::black_box(sum);
        })
        .join()
        .unwrap();
        let used = ProcessUsage::now().unwrap().since(&before);
        // 320 MiB summed a byte at a time: well over 20 ms of CPU on any machine.
        assert!(used.cpu >= Duration::from_millis(20), "{used:?}");
        assert!(used.system <= used.cpu, "{used:?}");
        // 2,048 faults in 4 KiB pages; 4 where transparent huge pages back the whole allocation.
        assert!(used.minor_faults >= 4, "{used:?}");
        assert_eq!(before.since(&ProcessUsage::now().unwrap()), ProcessUsage::default(), "never negative");
    }

    #[test]
    fn groups_drop_the_thread_number() {
        assert_eq!(group("sled-io-12"), "sled-io");
        assert_eq!(group("tokio-rt-worker"), "tokio-rt-worker");
        assert_eq!(group("worker7"), "worker");
    }

    #[test]
    fn schedstat_gives_time_on_cpu_and_waiting() {
        let scheduled = Scheduled { on_cpu: Duration::from_nanos(1500), waiting: Duration::from_nanos(250), runs: 7 };
        assert_eq!(parse_schedstat("1500 250 7\n"), Some(scheduled));
        assert_eq!(parse_schedstat("garbage"), None);
    }

    #[test]
    fn a_busy_thread_shows_up_in_its_group() {
        let before = ThreadTimes::now();
        let started = std::time::Instant::now();
        let spin = std::thread::Builder::new()
            .name("spinner-1".into())
            .spawn(move || {
                let t = std::time::Instant::now();
                let mut x = 0u64;
                while t.elapsed() < Duration::from_millis(200) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
                std::thread::sleep(Duration::from_millis(100));
                x
            })
            .unwrap();
        std::thread::sleep(Duration::from_millis(150));
        let after = ThreadTimes::now();
        let groups = after.since(&before, started.elapsed());
        spin.join().unwrap();
        if before.0.is_empty() {
            return; // no schedstat on this system: nothing to check
        }
        let spinner = groups.get("spinner").copied().unwrap_or_default();
        assert!(spinner.busy > 0.2, "{groups:?}");
        assert!(describe(&groups).contains("spinner"), "{}", describe(&groups));
        assert!(after.runs("spinner").is_some_and(|runs| runs > 0));
        assert_eq!(after.runs("no-such-thread"), None);
    }
}
