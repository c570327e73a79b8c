//! The default limits of every API key and every user (`STUDIO_KEY_LIMIT_*`,
//! `STUDIO_USER_LIMIT_*`); unset or 0 means no limit of that kind.

use super::parse::Vars;
use crate::LimitSettings;

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn whole(&mut self, var: &'static str) -> Option<u64> {
        let value = self.optional(var)?;
        match value.parse::<u64>() {
            Ok(0) => None,
            Ok(n) => Some(n),
            Err(_) => {
                self.fail(var, format!("not a whole number, got {value:?}"));
                None
            }
        }
    }

    fn dollars(&mut self, var: &'static str) -> Option<f64> {
        let value = self.optional(var)?;
        match value.parse::<f64>() {
            Ok(usd) if usd.is_finite() && usd > 0.0 => Some(usd),
            Ok(0.0) => None,
            _ => {
                self.fail(var, format!("not an amount of dollars, got {value:?}"));
                None
            }
        }
    }

    pub(super) fn key_limits(&mut self) -> LimitSettings {
        LimitSettings {
            requests_per_minute: self.whole("STUDIO_KEY_LIMIT_REQUESTS_PER_MINUTE"),
            tokens_per_minute: self.whole("STUDIO_KEY_LIMIT_TOKENS_PER_MINUTE"),
            concurrent_streams: self.whole("STUDIO_KEY_LIMIT_CONCURRENT_STREAMS"),
            monthly_token_budget: self.whole("STUDIO_KEY_LIMIT_MONTHLY_TOKENS"),
            monthly_cost_budget_usd: self.dollars("STUDIO_KEY_LIMIT_MONTHLY_COST_USD"),
        }
    }

    pub(super) fn user_limits(&mut self) -> LimitSettings {
        LimitSettings {
            requests_per_minute: self.whole("STUDIO_USER_LIMIT_REQUESTS_PER_MINUTE"),
            tokens_per_minute: self.whole("STUDIO_USER_LIMIT_TOKENS_PER_MINUTE"),
            concurrent_streams: self.whole("STUDIO_USER_LIMIT_CONCURRENT_STREAMS"),
            monthly_token_budget: self.whole("STUDIO_USER_LIMIT_MONTHLY_TOKENS"),
            monthly_cost_budget_usd: self.dollars("STUDIO_USER_LIMIT_MONTHLY_COST_USD"),
        }
    }
}
