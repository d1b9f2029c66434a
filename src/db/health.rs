//! Fail fast in an outage: once a connection attempt fails (or a query finds its connection
//! gone), the database is `down` and every caller gets its 503 at once, with `Retry-After`,
//! instead of waiting `ASN_DB_TIMEOUT_MS` for a connection that cannot come. A probe thread
//! tries to connect every [`PROBE_EVERY`] and clears the mark when the database answers.

use super::{establish_waiting, DatabaseUrl};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the probe tries while the database is down.
pub const PROBE_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Default)]
struct State {
    down: AtomicBool,
    probing: AtomicBool,
}

/// Whether the database is known to be unreachable; shared by a pool and its manager.
#[derive(Debug, Clone)]
pub struct Health {
    state: Arc<State>,
    url: DatabaseUrl,
}

impl Health {
    pub fn new(url: DatabaseUrl) -> Health {
        Health {
            state: Arc::default(),
            url,
        }
    }

    pub fn is_down(&self) -> bool {
        self.state.down.load(Ordering::Acquire)
    }

    /// The database answered.
    pub fn up(&self) {
        self.state.down.store(false, Ordering::Release);
    }

    /// The database did not answer: callers fail fast until the probe reaches it again.
    pub fn down(&self) {
        self.state.down.store(true, Ordering::Release);
        if self.state.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let health = self.clone();
        let spawned = std::thread::Builder::new()
            .name("db-probe".into())
            .spawn(move || {
                tracing::warn!("the database is unreachable; answering 503 until it is back");
                loop {
                    std::thread::sleep(PROBE_EVERY);
                    if establish_waiting(&health.url, PROBE_EVERY).is_ok() {
                        health.up();
                        health.state.probing.store(false, Ordering::Release);
                        tracing::info!("the database is reachable again");
                        return;
                    }
                }
            });
        if spawned.is_err() {
            self.state.probing.store(false, Ordering::Release);
            self.up();
        }
    }
}
