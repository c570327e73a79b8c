//! One row of the table: a metric of a scenario, direct and Studio, and its target.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Rate,
    Ms,
    Seconds,
    MiB,
    KiB,
    Count,
    Percent,
    Cores,
    /// A multiple of another number.
    Times,
}

impl Unit {
    pub fn show(self, value: Option<f64>) -> String {
        let Some(v) = value else { return "-".into() };
        match self {
            Unit::Rate | Unit::Count => format!("{v:.0}"),
            Unit::Ms => format!("{v:.3}"),
            Unit::Seconds => format!("{v:.4}"),
            Unit::MiB | Unit::KiB => format!("{v:.1}"),
            Unit::Percent => format!("{:.1}%", v * 100.0),
            Unit::Cores => format!("{v:.2}"),
            Unit::Times => format!("{v:.2}x"),
        }
    }
}

/// What the Studio value of a row must satisfy.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtMost(f64),
    /// At least this share of the direct value.
    ShareOfDirect(f64),
}

pub struct Row {
    pub scenario: &'static str,
    pub metric: &'static str,
    pub unit: Unit,
    pub direct: Option<f64>,
    pub nginx: Option<f64>,
    pub studio: Option<f64>,
    pub target: Option<Target>,
}

impl Row {
    pub fn met(&self) -> Option<bool> {
        let studio = self.studio?;
        Some(match self.target? {
            Target::AtMost(limit) => studio <= limit,
            Target::ShareOfDirect(share) => studio >= share * self.direct?,
        })
    }

    pub fn target_text(&self) -> String {
        match self.target {
            None => String::new(),
            Some(Target::AtMost(limit)) => format!("<= {}", self.unit.show(Some(limit))),
            Some(Target::ShareOfDirect(share)) => format!(">= {:.0}% of direct", share * 100.0),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "metric": self.metric,
            "direct": self.direct,
            "nginx": self.nginx,
            "studio": self.studio,
            "target": self.target_text(),
            "met": self.met(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_targets_compare_with_direct() {
        let row = |studio| Row {
            scenario: "s",
            metric: "m",
            unit: Unit::Rate,
            direct: Some(1000.0),
            nginx: None,
            studio: Some(studio),
            target: Some(Target::ShareOfDirect(0.4)),
        };
        assert_eq!(row(400.0).met(), Some(true));
        assert_eq!(row(399.0).met(), Some(false));
    }
}
