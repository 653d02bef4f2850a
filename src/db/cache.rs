//! Idle connections kept between checks by the long-running modes.
//!
//! Many databases often live on one server (a schema per tenant, a database
//! per app): opening a connection per check costs a TCP and TLS handshake,
//! authentication and a new server backend every time. The cache keeps a few
//! idle connections per URL (and connect options) for a while. A connection
//! goes back only after a clean read-only check (its transaction rolled back);
//! any error or timeout drops it, and a cached connection that no longer
//! answers a ping is replaced by a fresh one. SQLite files are not cached.

use super::{ConnectOptions, Connection, DatabaseUrl, DbError, connect};
use crate::schema::Engine;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct ConnectionCache {
    idle: Mutex<HashMap<String, Vec<(Connection, Instant)>>>,
    max_idle_per_key: usize,
    idle_timeout: Duration,
}

impl std::fmt::Debug for ConnectionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionCache")
            .field("idle", &self.idle())
            .field("max_idle_per_key", &self.max_idle_per_key)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

impl ConnectionCache {
    /// Keeps up to `max_idle_per_key` idle connections per database for up
    /// to `idle_timeout` each.
    pub fn new(max_idle_per_key: usize, idle_timeout: Duration) -> ConnectionCache {
        ConnectionCache {
            idle: Mutex::new(HashMap::new()),
            max_idle_per_key,
            idle_timeout,
        }
    }

    fn key(url: &DatabaseUrl, opts: &ConnectOptions) -> String {
        // Session settings follow the options, so they are part of the key.
        format!(
            "{}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}",
            url.expose(),
            opts.statement_timeout,
            opts.lock_timeout,
            opts.connect_timeout,
            opts.ca_file
        )
    }

    /// The most recently used idle connection of `key`, and those of any
    /// key that have been idle too long (to be closed).
    fn take_idle(&self, key: &str) -> (Option<Connection>, Vec<Connection>) {
        let Ok(mut idle) = self.idle.lock() else {
            return (None, Vec::new());
        };
        let expired = self.expire(&mut idle);
        let conn = idle.get_mut(key).and_then(Vec::pop).map(|(c, _)| c);
        (conn, expired)
    }

    fn expire(&self, idle: &mut HashMap<String, Vec<(Connection, Instant)>>) -> Vec<Connection> {
        let now = Instant::now();
        let mut expired = Vec::new();
        for list in idle.values_mut() {
            // Oldest first: the expired ones are a prefix.
            let keep_from = list
                .iter()
                .position(|(_, since)| now.duration_since(*since) < self.idle_timeout)
                .unwrap_or(list.len());
            expired.extend(list.drain(..keep_from).map(|(c, _)| c));
        }
        idle.retain(|_, list| !list.is_empty());
        expired
    }

    /// A healthy connection: a cached one that answers, or a new one.
    pub async fn get(
        &self,
        url: &DatabaseUrl,
        opts: &ConnectOptions,
    ) -> Result<Connection, DbError> {
        if url.engine() != Engine::Sqlite {
            let key = Self::key(url, opts);
            loop {
                let (conn, expired) = self.take_idle(&key);
                for c in expired {
                    c.close().await;
                }
                let Some(mut conn) = conn else { break };
                let alive = tokio::time::timeout(opts.connect_timeout, conn.ping()).await;
                if matches!(alive, Ok(Ok(()))) {
                    return Ok(conn);
                }
            }
        }
        connect(url, opts).await
    }

    /// Gives back a connection whose transaction has ended cleanly.
    pub async fn put(&self, url: &DatabaseUrl, opts: &ConnectOptions, conn: Connection) {
        if conn.engine() == Engine::Sqlite {
            conn.close().await;
            return;
        }
        let key = Self::key(url, opts);
        let mut to_close = match self.idle.lock() {
            Ok(mut idle) => {
                let mut expired = self.expire(&mut idle);
                let list = idle.entry(key).or_default();
                if list.len() < self.max_idle_per_key {
                    list.push((conn, Instant::now()));
                } else {
                    expired.push(conn);
                }
                expired
            }
            Err(_) => vec![conn],
        };
        for c in to_close.drain(..) {
            c.close().await;
        }
    }

    /// Idle connections held, over all databases.
    pub fn idle(&self) -> usize {
        self.idle
            .lock()
            .map(|i| i.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}
