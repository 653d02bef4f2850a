//! Scheduling checks: each target on its own interval with jitter, a timeout
//! per check, exponential backoff after errors, and a bound on how many
//! checks run at once. Each target has one loop, so a check is never run
//! twice at once for the same target, and a slow or dead database only ever
//! holds its own loop and one permit.

use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How often and how patiently a target is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cadence {
    pub interval: Duration,
    pub timeout: Duration,
    /// Fraction of the interval by which each wait is randomly moved (0.1 = ±10%).
    pub jitter: f64,
    /// First wait after an error; doubles with each error in a row, up to `interval`.
    pub backoff: Duration,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            interval: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
            jitter: 0.1,
            backoff: Duration::from_secs(5),
        }
    }
}

impl Cadence {
    /// The wait before the next run: the interval after a success; after
    /// `failures` errors in a row, the backoff doubled per error up to the
    /// interval; either moved by the jitter (`unit` is uniform in [0, 1)).
    pub fn next_wait(&self, failures: u32, unit: f64) -> Duration {
        let base = if failures == 0 {
            self.interval
        } else {
            self.backoff
                .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)))
                .min(self.interval.max(self.backoff))
        };
        base.mul_f64(1.0 + self.jitter.clamp(0.0, 0.9) * (2.0 * unit.clamp(0.0, 1.0) - 1.0))
    }
}

/// A number uniform in [0, 1), different per key and per call: jitter needs
/// spread, not secrecy.
pub fn random_unit(key: &str) -> f64 {
    Rng::seeded(key).unit()
}

/// What a check reports back to the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The check could not be done; retry with backoff.
    Failed,
}

/// A check: called for every run; `timed_out` is told when it was cut short.
pub type Job = Arc<dyn Fn() -> BoxFuture<'static, Outcome> + Send + Sync>;
/// Called when a run was cut short by the timeout.
pub type OnTimeout = Arc<dyn Fn(Duration) + Send + Sync>;

struct Entry {
    cancel: CancellationToken,
    handle: tokio::task::JoinHandle<()>,
}

/// Runs checks for a changing set of targets.
pub struct Scheduler {
    permits: Arc<Semaphore>,
    cancel: CancellationToken,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Scheduler {
    pub fn new(concurrency: usize) -> Scheduler {
        Scheduler {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            cancel: CancellationToken::new(),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Adds or replaces a target. Its first run comes after a random part of
    /// the interval, so targets added together spread over it.
    pub fn upsert(&self, key: &str, cadence: Cadence, job: Job, on_timeout: Option<OnTimeout>) {
        self.remove(key);
        let cancel = self.cancel.child_token();
        let permits = self.permits.clone();
        let c = cancel.clone();
        let mut rng = Rng::seeded(key);
        let handle = tokio::spawn(async move {
            let mut delay = cadence.interval.mul_f64(rng.unit());
            let mut failures: u32 = 0;
            loop {
                tokio::select! {
                    () = c.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
                let permit = tokio::select! {
                    () = c.cancelled() => return,
                    p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
                };
                let outcome = match tokio::time::timeout(cadence.timeout, job()).await {
                    Ok(o) => o,
                    Err(_) => {
                        if let Some(f) = &on_timeout {
                            f(cadence.timeout);
                        }
                        Outcome::Failed
                    }
                };
                drop(permit);
                failures = match outcome {
                    Outcome::Ok => 0,
                    Outcome::Failed => failures.saturating_add(1),
                };
                delay = cadence.next_wait(failures, rng.unit());
            }
        });
        if let Ok(mut e) = self.entries.lock() {
            e.insert(key.to_string(), Entry { cancel, handle });
        }
    }

    pub fn remove(&self, key: &str) {
        if let Some(e) = self.entries.lock().ok().and_then(|mut e| e.remove(key)) {
            e.cancel.cancel();
        }
    }

    /// Stops scheduling; checks in flight get until `deadline` to finish.
    pub async fn shutdown(&self, deadline: Duration) {
        self.cancel.cancel();
        let handles: Vec<_> = self
            .entries
            .lock()
            .map(|mut e| e.drain().map(|(_, v)| v.handle).collect())
            .unwrap_or_default();
        let all = futures::future::join_all(handles);
        let _ = tokio::time::timeout(deadline, all).await;
    }
}

/// A small PRNG (xorshift) seeded per target: jitter needs spread, not secrecy.
struct Rng(u64);

impl Rng {
    fn seeded(key: &str) -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ nanos;
        for b in key.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Rng(h | 1)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::atomic::Ordering;

    fn counting(
        counter: Arc<AtomicU32>,
        concurrent: Arc<AtomicU32>,
        max_seen: Arc<AtomicU32>,
        sleep: Duration,
        outcome: Outcome,
    ) -> Job {
        Arc::new(move || {
            let (counter, concurrent, max_seen) =
                (counter.clone(), concurrent.clone(), max_seen.clone());
            Box::pin(async move {
                let now = concurrent.fetch_add(1, Ordering::SeqCst) + 1;
                max_seen.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(sleep).await;
                concurrent.fetch_sub(1, Ordering::SeqCst);
                counter.fetch_add(1, Ordering::SeqCst);
                outcome
            })
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_dead_target_does_not_delay_the_others() {
        let s = Scheduler::new(4);
        let fast = Arc::new(AtomicU32::new(0));
        let slow = Arc::new(AtomicU32::new(0));
        let timeouts = Arc::new(AtomicU32::new(0));
        let cadence = Cadence {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(3),
            jitter: 0.0,
            backoff: Duration::from_secs(1),
        };
        let z = || Arc::new(AtomicU32::new(0));
        s.upsert(
            "fast",
            cadence,
            counting(
                fast.clone(),
                z(),
                z(),
                Duration::from_millis(10),
                Outcome::Ok,
            ),
            None,
        );
        let t = timeouts.clone();
        s.upsert(
            "dead",
            cadence,
            counting(
                slow.clone(),
                z(),
                z(),
                Duration::from_secs(3600),
                Outcome::Ok,
            ),
            Some(Arc::new(move |_| {
                t.fetch_add(1, Ordering::SeqCst);
            })),
        );
        tokio::time::sleep(Duration::from_secs(61)).await;
        // The fast target ran about every 10 s; the dead one hit its timeout
        // each time and backed off, never finishing a run.
        assert!(
            fast.load(Ordering::SeqCst) >= 5,
            "fast ran {}",
            fast.load(Ordering::SeqCst)
        );
        assert_eq!(slow.load(Ordering::SeqCst), 0);
        assert!(timeouts.load(Ordering::SeqCst) >= 3);
        s.shutdown(Duration::from_secs(1)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded_and_targets_never_overlap_themselves() {
        let s = Scheduler::new(2);
        let concurrent = Arc::new(AtomicU32::new(0));
        let max_seen = Arc::new(AtomicU32::new(0));
        let cadence = Cadence {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
            jitter: 0.1,
            backoff: Duration::from_secs(1),
        };
        let mut counters = Vec::new();
        for i in 0..6 {
            let c = Arc::new(AtomicU32::new(0));
            // Each check takes longer than the interval: it must not be started again meanwhile.
            let own = Arc::new(AtomicU32::new(0));
            let own_max = Arc::new(AtomicU32::new(0));
            let (conc, maxs) = (concurrent.clone(), max_seen.clone());
            let (o, om, cc) = (own.clone(), own_max.clone(), c.clone());
            s.upsert(
                &format!("t{i}"),
                cadence,
                Arc::new(move || {
                    let (conc, maxs, o, om, cc) = (
                        conc.clone(),
                        maxs.clone(),
                        o.clone(),
                        om.clone(),
                        cc.clone(),
                    );
                    Box::pin(async move {
                        let n = conc.fetch_add(1, Ordering::SeqCst) + 1;
                        maxs.fetch_max(n, Ordering::SeqCst);
                        let mine = o.fetch_add(1, Ordering::SeqCst) + 1;
                        om.fetch_max(mine, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        o.fetch_sub(1, Ordering::SeqCst);
                        conc.fetch_sub(1, Ordering::SeqCst);
                        cc.fetch_add(1, Ordering::SeqCst);
                        Outcome::Ok
                    })
                }),
                None,
            );
            counters.push((c, own_max));
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(
            max_seen.load(Ordering::SeqCst),
            2,
            "never more than the concurrency bound"
        );
        for (c, own_max) in &counters {
            assert_eq!(
                own_max.load(Ordering::SeqCst),
                1,
                "a target never overlaps itself"
            );
            assert!(c.load(Ordering::SeqCst) >= 3);
        }
        s.shutdown(Duration::from_secs(1)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn errors_back_off_exponentially() {
        let s = Scheduler::new(1);
        let runs = Arc::new(AtomicU32::new(0));
        let z = || Arc::new(AtomicU32::new(0));
        let cadence = Cadence {
            interval: Duration::from_secs(600),
            timeout: Duration::from_secs(5),
            jitter: 0.0,
            backoff: Duration::from_secs(1),
        };
        s.upsert(
            "flaky",
            cadence,
            counting(runs.clone(), z(), z(), Duration::ZERO, Outcome::Failed),
            None,
        );
        // First run within the first interval, then retries after 1, 2, 4, 8, 16 … seconds.
        tokio::time::sleep(Duration::from_secs(600 + 31)).await;
        let n = runs.load(Ordering::SeqCst);
        assert!((5..=11).contains(&n), "{n} runs");
        s.shutdown(Duration::from_secs(1)).await;
    }
}
