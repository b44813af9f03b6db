//! Keeps API keys, projects and flows in the container for a short time, so
//! a warm request does not read them again. The lifetime bounds how long a
//! revoked key or a paused flow keeps working: see docs/data-model.md.

use crate::domain::tenant_config::KeyGrant;
use crate::domain::{Project, ProjectFlow};
use crate::error::Result;
use crate::ports::Directory;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct TtlMap<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // A container serves one tenant's traffic at most at a time; a small
        // bound stops a key-guessing flood from growing memory.
        if entries.len() >= 1024 {
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if entries.len() >= 1024 {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }
}

pub struct CachedDirectory<D> {
    inner: D,
    keys: TtlMap<String, Option<KeyGrant>>,
    projects: TtlMap<String, Project>,
    flows: TtlMap<String, ProjectFlow>,
}

impl<D: Directory> CachedDirectory<D> {
    pub fn new(inner: D, ttl: Duration) -> Self {
        Self {
            inner,
            keys: TtlMap::new(ttl),
            projects: TtlMap::new(ttl),
            flows: TtlMap::new(ttl),
        }
    }
}

impl<D: Directory> Directory for CachedDirectory<D> {
    async fn client_for_key(&self, key_digest: &str) -> Result<Option<KeyGrant>> {
        if let Some(hit) = self.keys.get(&key_digest.to_string()) {
            return Ok(hit);
        }
        let found = self.inner.client_for_key(key_digest).await?;
        // Only known keys are cached: an unknown key must not be able to fill
        // the cache, and a newly created key must work at once.
        if found.is_some() {
            self.keys.put(key_digest.to_string(), found.clone());
        }
        Ok(found)
    }

    async fn project(&self, id: &str) -> Result<Option<Project>> {
        if let Some(hit) = self.projects.get(&id.to_string()) {
            return Ok(Some(hit));
        }
        let found = self.inner.project(id).await?;
        if let Some(p) = &found {
            self.projects.put(id.to_string(), p.clone());
        }
        Ok(found)
    }

    async fn flow(&self, id: &str) -> Result<Option<ProjectFlow>> {
        if let Some(hit) = self.flows.get(&id.to_string()) {
            return Ok(Some(hit));
        }
        let found = self.inner.flow(id).await?;
        if let Some(f) = &found {
            self.flows.put(id.to_string(), f.clone());
        }
        Ok(found)
    }
}
