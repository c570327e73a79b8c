//! The Redis store: each operation is one Lua script, so a check and its reservation are one
//! atomic step whatever the number of instances.

use std::time::Duration;

use redis::{aio::ConnectionManager, Script};

use crate::{LimitStore, StoreError, Window};

/// Sliding window over 1-second buckets in a hash: drop old buckets, sum, take if it fits.
const TAKE: &str = r"
local now, window, limit, amount = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local fields = redis.call('HGETALL', KEYS[1])
local used, oldest = 0, nil
for i = 1, #fields, 2 do
  local at = tonumber(fields[i])
  if at + window <= now then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    used = used + tonumber(fields[i + 1])
    if oldest == nil or at < oldest then oldest = at end
  end
end
if used < 0 then used = 0 end
local reset = window
if oldest ~= nil then reset = oldest + window - now end
if used + amount > limit then return {0, used, reset} end
redis.call('HINCRBY', KEYS[1], ARGV[1], amount)
redis.call('EXPIRE', KEYS[1], window + 1)
return {1, used + amount, reset}
";

const ADJUST: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
end
return 1
";

/// Leases in a sorted set scored by expiry: expired ones leave first.
const LEASE: &str = r"
local now, limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[4])
redis.call('EXPIRE', KEYS[1], ttl + 1)
return 1
";

/// A counter seeded once (from the database) then added to while it stays within the limit.
const COUNT: &str = r"
local limit, amount, seed, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], seed, 'EX', ttl) end
local used = tonumber(redis.call('GET', KEYS[1]))
if used < 0 then used = 0 end
if used + amount > limit then return {0, used} end
return {1, redis.call('INCRBY', KEYS[1], amount)}
";

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    scripts: std::sync::Arc<Scripts>,
}

/// Built once: a script's SHA1 is computed when it is made, and sent instead of its source.
struct Scripts {
    take: Script,
    adjust: Script,
    lease: Script,
    count: Script,
}

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError(error.to_string())
}

impl RedisStore {
    /// Connects with short timeouts: a slow Redis must not slow every request down.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_millis(500))
            .set_response_timeout(Duration::from_millis(500))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        let scripts = std::sync::Arc::new(Scripts {
            take: Script::new(TAKE),
            adjust: Script::new(ADJUST),
            lease: Script::new(LEASE),
            count: Script::new(COUNT),
        });
        Ok(Self {
            connection,
            scripts,
        })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

#[async_trait::async_trait]
impl LimitStore for RedisStore {
    async fn take(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        window: Duration,
        now: u64,
    ) -> Result<Window, StoreError> {
        let mut connection = self.connection.clone();
        let (allowed, used, reset): (i64, i64, i64) = self
            .scripts
            .take
            .key(key)
            .arg(now)
            .arg(window.as_secs().max(1))
            .arg(limit)
            .arg(amount)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(Window {
            allowed: allowed == 1,
            used: used.max(0) as u64,
            reset_secs: reset.max(0) as u64,
            at: now,
        })
    }

    async fn adjust(
        &self,
        key: &str,
        at: u64,
        delta: i64,
        _window: Duration,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        self.scripts
            .adjust
            .key(key)
            .arg(at)
            .arg(delta)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn lease(
        &self,
        key: &str,
        limit: u64,
        ttl: Duration,
        now: u64,
    ) -> Result<Option<String>, StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut connection = self.connection.clone();
        let granted: i64 = self
            .scripts
            .lease
            .key(key)
            .arg(now)
            .arg(limit)
            .arg(ttl.as_secs().max(1))
            .arg(&id)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok((granted == 1).then_some(id))
    }

    async fn release(&self, key: &str, lease: &str) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("ZREM")
            .arg(key)
            .arg(lease)
            .query_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn count(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        seed: u64,
        ttl: Duration,
    ) -> Result<(bool, u64), StoreError> {
        let mut connection = self.connection.clone();
        let (allowed, used): (i64, i64) = self
            .scripts
            .count
            .key(key)
            .arg(limit)
            .arg(amount)
            .arg(seed)
            .arg(ttl.as_secs().max(1))
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok((allowed == 1, used.max(0) as u64))
    }

    async fn count_adjust(&self, key: &str, delta: i64) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("INCRBY")
            .arg(key)
            .arg(delta)
            .query_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}
