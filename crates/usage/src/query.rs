//! The dashboard's question, checked: a range of at most a year and an optional time zone.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// The longest range one report covers (a leap year).
pub const MAX_RANGE_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy)]
pub struct UsageQuery {
    /// UTC, inclusive.
    pub from: NaiveDateTime,
    /// UTC, exclusive.
    pub to: NaiveDateTime,
    /// Where days begin and end; UTC when absent.
    pub tz: Option<Tz>,
}

/// A parameter the caller must fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UsageQueryError {
    pub param: &'static str,
    pub message: String,
}

fn invalid(param: &'static str, message: impl Into<String>) -> UsageQueryError {
    UsageQueryError {
        param,
        message: message.into(),
    }
}

impl UsageQuery {
    /// `from` and `to` are days (`2026-11-27`: the whole day, in `tz`) or RFC 3339 instants;
    /// the default is the 30 days up to now.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        tz: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<Self, UsageQueryError> {
        let tz = match tz.filter(|t| !t.is_empty()) {
            None => None,
            Some(name) => Some(name.parse::<Tz>().map_err(|_| {
                invalid(
                    "tz",
                    format!("tz must be an IANA time zone such as Europe/Paris, got '{name}'"),
                )
            })?),
        };
        let to = match to {
            Some(value) => instant("to", value, true, tz)?,
            None => now + Duration::seconds(1),
        };
        let from = match from {
            Some(value) => instant("from", value, false, tz)?,
            None => to - Duration::days(30),
        };
        if from >= to {
            return Err(invalid("from", "from must be before to"));
        }
        if to - from > Duration::days(MAX_RANGE_DAYS) {
            return Err(invalid(
                "from",
                format!("the range may cover at most {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(Self { from, to, tz })
    }
}

const DAY_SECS: i64 = 86_400;
/// Every time zone's offset is a multiple of 15 minutes, so such buckets fall in one local day.
const QUARTER_HOUR_SECS: i64 = 900;

impl UsageQuery {
    /// The width of the time buckets the database sums into: whole UTC days, or quarter hours
    /// that are then gathered into the time zone's days.
    pub(crate) fn bucket_secs(&self) -> i64 {
        if self.tz.is_some() {
            QUARTER_HOUR_SECS
        } else {
            DAY_SECS
        }
    }

    /// The (local) day bucket `index` falls in.
    pub(crate) fn day_of_bucket(&self, index: i64) -> NaiveDate {
        let start = DateTime::from_timestamp(index * self.bucket_secs(), 0)
            .unwrap_or_default()
            .naive_utc();
        match self.tz {
            Some(tz) => start.and_utc().with_timezone(&tz).date_naive(),
            None => start.date(),
        }
    }

    pub(crate) fn tz_name(&self) -> String {
        self.tz
            .map_or_else(|| "UTC".to_owned(), |tz| tz.name().to_owned())
    }
}

/// Years outside this window are refused before any date arithmetic can overflow.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

fn instant(
    param: &'static str,
    value: &str,
    end_of_day: bool,
    tz: Option<Tz>,
) -> Result<NaiveDateTime, UsageQueryError> {
    let bad = || {
        invalid(
            param,
            format!(
                "{param} must be a date (YYYY-MM-DD) or an RFC 3339 time between 1970 and 9999"
            ),
        )
    };
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        use chrono::Datelike;
        if !YEARS.contains(&day.year()) {
            return Err(bad());
        }
        let day = if end_of_day {
            day.succ_opt().ok_or_else(bad)?
        } else {
            day
        };
        let midnight = day.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        return match tz {
            None => Ok(midnight),
            // The first instant of that local day (a DST gap at midnight moves it later).
            Some(tz) => tz
                .from_local_datetime(&midnight)
                .earliest()
                .or_else(|| {
                    tz.from_local_datetime(&(midnight + Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.naive_utc())
                .ok_or_else(bad),
        };
    }
    let instant = DateTime::parse_from_rfc3339(value).map_err(|_| bad())?;
    use chrono::Datelike;
    if !YEARS.contains(&instant.naive_utc().year()) {
        return Err(bad());
    }
    Ok(instant.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap()
    }

    #[test]
    fn absurd_dates_are_refused_naming_the_parameter() {
        for (from, to, param) in [
            (None, Some("-262143-01-02"), "to"),
            (None, Some("+262143-12-31"), "to"),
            (Some("0001-01-01"), None, "from"),
            (Some("2026-13-01"), None, "from"),
            (Some("2026-12-02"), Some("2026-12-01"), "from"),
            (Some("2024-01-01"), Some("2026-01-01"), "from"),
        ] {
            let error = UsageQuery::parse(from, to, None, now()).unwrap_err();
            assert_eq!(error.param, param, "{from:?} {to:?}");
        }
        let error = UsageQuery::parse(None, None, Some("Mars/Olympus"), now()).unwrap_err();
        assert_eq!(error.param, "tz");
    }

    #[test]
    fn days_begin_at_local_midnight_in_the_time_zone() {
        let q = UsageQuery::parse(
            Some("2026-07-01"),
            Some("2026-07-01"),
            Some("Europe/Paris"),
            now(),
        )
        .unwrap();
        assert_eq!(q.from.to_string(), "2026-06-30 22:00:00");
        assert_eq!(q.to.to_string(), "2026-07-01 22:00:00");
        let utc = UsageQuery::parse(Some("2026-01-01"), Some("2026-12-31"), None, now()).unwrap();
        assert_eq!((utc.to - utc.from).num_days(), 365);
    }
}
