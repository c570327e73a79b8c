//! The measured runs of one scenario: direct, then through a freshly started gateway, `reps`
//! times, each after waiting for the machine to be quiet.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use super::nginx::NginxSetup;
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
    /// The limit proxy, when nginx is installed.
    pub nginx: Option<&'a NginxSetup>,
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
                split_cpu(&mut run, 0);
                progress(scenario.title, rep, self.reps, "direct", &run);
                runs.direct.push(run);
                if let Some(setup) = self.nginx {
                    // The same load as direct, through the limit proxy: master and worker
                    // counted as the proxy, the upstream last.
                    let nginx = setup.start()?;
                    let busy_before = quiet::wait(QUIET_CORES, self.patience);
                    let pids = [nginx.worker, nginx.server.pid(), self.inference.pid()];
                    let mut run = self.load(&nginx.server, load, &pids)?;
                    run["busy_cores_before"] = json!(busy_before);
                    split_cpu(&mut run, 2);
                    progress(scenario.title, rep, self.reps, "nginx", &run);
                    runs.nginx.push(run);
                }
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
            split_cpu(&mut run, 1);
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

/// Adds `proxy_cpu_s_per_1k` (the tracked processes before `upstream`, summed) and
/// `upstream_cpu_s_per_1k` (the one at `upstream`) to a run, so every side reads the same way.
fn split_cpu(run: &mut Value, upstream: usize) {
    let cpu = |i: usize| {
        run.pointer(&format!("/processes/{i}/cpu_s_per_1k"))
            .and_then(Value::as_f64)
    };
    let proxy: Option<f64> = (0..upstream).map(cpu).sum();
    let upstream = cpu(upstream);
    run["proxy_cpu_s_per_1k"] = json!(proxy);
    run["upstream_cpu_s_per_1k"] = json!(upstream);
}

fn progress(title: &str, rep: usize, reps: usize, side: &str, run: &Value) {
    let number = |pointer: &str| {
        run.pointer(pointer)
            .and_then(Value::as_f64)
            .unwrap_or_default()
    };
    eprintln!(
        "bench: {title:<16} rep {rep}/{reps} {side:<6} {:>8.0} req/s  p50 {:>8.3} ms  p99 {:>8.3} ms  \
         errors {}  proxy CPU {:.4} s/1k  others {:.2} cores",
        number("/rps"),
        number("/latency_ms/p50"),
        number("/latency_ms/p99"),
        number("/errors"),
        number("/proxy_cpu_s_per_1k"),
        number("/other_cpu_s") / number("/duration_s").max(1e-9),
    );
}
