//! The soak's database, and its outage: PostgreSQL refuses connections and drops its sessions
//! (`psql`), SQLite is locked by another process (`python3`'s sqlite3) for the duration.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
};

use anyhow::{bail, Context, Result};

pub struct Database {
    pub url: String,
    /// `(admin URL, database name)` on PostgreSQL.
    postgres: Option<(String, String)>,
    sqlite_path: Option<std::path::PathBuf>,
}

pub struct Outage {
    postgres: Option<(String, String)>,
    locker: Option<Child>,
}

fn psql(admin_url: &str, sql: &str) -> Result<()> {
    let status = Command::new("psql")
        .args([admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .context("psql is needed for the PostgreSQL soak")?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

impl Database {
    pub fn create(dir: &Path, postgres_admin: Option<&str>) -> Result<Self> {
        let Some(admin) = postgres_admin else {
            let path = dir.join("studio.db");
            return Ok(Self {
                url: format!("sqlite://{}", path.display()),
                postgres: None,
                sqlite_path: Some(path),
            });
        };
        let name = format!("studio_soak_{}", std::process::id());
        psql(admin, &format!("DROP DATABASE IF EXISTS \"{name}\""))?;
        psql(admin, &format!("CREATE DATABASE \"{name}\""))?;
        let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
        Ok(Self {
            url: format!("{base}/{name}"),
            postgres: Some((admin.to_owned(), name)),
            sqlite_path: None,
        })
    }

    pub fn outage(&self) -> Result<Outage> {
        if let Some((admin, name)) = &self.postgres {
            psql(
                admin,
                &format!(
                    "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
                ),
            )?;
            return Ok(Outage {
                postgres: self.postgres.clone(),
                locker: None,
            });
        }
        let path = self.sqlite_path.as_ref().context("no database")?;
        let script = "import sqlite3, sys, time\n\
            c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)\n\
            c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\nsys.stdin.read()\n";
        let mut locker = Command::new("python3")
            .args(["-c", script])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("python3 is needed for the SQLite soak's outage")?;
        let mut line = String::new();
        if let Some(stdout) = locker.stdout.as_mut() {
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        }
        if line.trim() != "locked" {
            bail!("could not lock the SQLite database");
        }
        Ok(Outage {
            postgres: None,
            locker: Some(locker),
        })
    }

    pub fn drop_it(&self) {
        if let Some((admin, name)) = &self.postgres {
            let _ = psql(
                admin,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            );
        }
    }
}

impl Outage {
    pub fn end(mut self) -> Result<()> {
        if let Some((admin, name)) = &self.postgres {
            psql(
                admin,
                &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"),
            )?;
        }
        if let Some(mut locker) = self.locker.take() {
            // Closing its stdin ends the script, which releases the lock.
            drop(locker.stdin.take());
            locker.wait()?;
        }
        Ok(())
    }
}
