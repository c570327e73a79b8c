//! `--metrics`: what recording Prometheus metrics costs the gateway, scenario by scenario (the
//! issue's target: under 3% CPU per request between metrics off and on).

use super::summary::{Read, Results, GATEWAY_CPU};

pub fn compare(off: &Results, on: &Results) -> String {
    let mut text = String::from("gateway CPU s/1k, metrics off → on (STUDIO_METRICS_BIND set):\n");
    for (key, runs) in off {
        let cpu_off = Read::At(GATEWAY_CPU).over(&runs.studio);
        let cpu_on = on
            .get(key)
            .and_then(|r| Read::At(GATEWAY_CPU).over(&r.studio));
        let line = match (cpu_off, cpu_on) {
            (Some(a), Some(b)) if a > 0.0 => {
                let change = (b - a) / a * 100.0;
                let met = if change < 3.0 { "met" } else { "NOT met" };
                format!("  {key:<14} {a:.4} → {b:.4}  ({change:+.1}%, target < 3%: {met})\n")
            }
            _ => format!("  {key:<14} no CPU figure\n"),
        };
        text.push_str(&line);
    }
    text
}
