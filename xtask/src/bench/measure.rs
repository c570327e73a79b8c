//! The measured runs of one scenario: direct, then through a freshly started gateway, `reps`
//! times, each after waiting for the machine to be quiet.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use super::quiet;
use super::scenarios::{self, Credentials, Scenario, Timing};
use super::servers::{GatewaySetup, Server};
use super::summary::Runs;

/// Busy cores elsewhere under which the machine counts as quiet.
const QUIET_CORES: f64 = 0.25;

pub struct Bench<'a> {
    pub bin: &'a Path,
    pub inference: &'a Server,
    pub gateway: &'a GatewaySetup,
    pub credentials: &'a Credentials,
    pub timing: &'a Timing,
    pub reps: usize,
    /// How long to wait for a quiet machine before each run.
    pub patience: Duration,
}

impl Bench<'_> {
    pub fn scenario(&self, scenario: &Scenario) -> Result<Runs> {
        let mut runs = Runs::default();
        for rep in 1..=self.reps {
            if let Some(load) = &scenario.direct {
                let busy_before = quiet::wait(QUIET_CORES, self.patience);
                let pids = [self.inference.pid()];
                let mut run = self.load(self.inference, load, &pids)?;
                run["busy_cores_before"] = json!(busy_before);
                progress(scenario.title, rep, self.reps, "direct", &run);
                runs.direct.push(run);
            }
            // A fresh gateway per run: its peak memory then belongs to this run alone.
            let gateway = self.gateway.start()?;
            let (idle_rss, _) = gateway.memory_kib()?;
            let busy_before = quiet::wait(QUIET_CORES, self.patience);
            let pids = [gateway.pid(), self.inference.pid()];
            let mut run = self.load(&gateway, &scenario.studio, &pids)?;
            let (_, peak) = gateway.memory_kib()?;
            let requests = run["requests"].as_f64().unwrap_or_default().max(1.0);
            run["busy_cores_before"] = json!(busy_before);
            run["gateway"] = json!({
                "idle_rss_mib": idle_rss as f64 / 1024.0,
                "vmhwm_mib": peak as f64 / 1024.0,
                "kib_per_request": peak.saturating_sub(idle_rss) as f64 / requests,
            });
            progress(scenario.title, rep, self.reps, "studio", &run);
            runs.studio.push(run);
        }
        Ok(runs)
    }

    fn load(&self, server: &Server, load: &scenarios::Load, pids: &[u32]) -> Result<Value> {
        scenarios::run_load(
            self.bin,
            server.addr,
            load,
            self.credentials,
            pids,
            self.timing,
        )
    }
}

fn progress(title: &str, rep: usize, reps: usize, side: &str, run: &Value) {
    let number = |pointer: &str| {
        run.pointer(pointer)
            .and_then(Value::as_f64)
            .unwrap_or_default()
    };
    eprintln!(
        "bench: {title:<16} rep {rep}/{reps} {side:<6} {:>8.0} req/s  p50 {:>8.3} ms  p99 {:>8.3} ms  \
         errors {}  others {:.2} cores",
        number("/rps"),
        number("/latency_ms/p50"),
        number("/latency_ms/p99"),
        number("/errors"),
        number("/other_cpu_s") / number("/duration_s").max(1e-9),
    );
}
