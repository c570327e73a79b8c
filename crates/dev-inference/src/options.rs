//! Misbehaviour on demand, chosen by the model name.
//!
//! The gateway forwards the model string untouched, so a test picks the upstream's behaviour
//! just by asking for `dev-chat:fail=429` or `dev-chat:tokens=50,delay=5,ttft=100`: no admin
//! endpoint, no shared state between tests.
//!
//! Grammar: `name` or `name:key=value,key=value`. The options are what follows the **last**
//! `:`, and only when that part contains a `=`; so Ollama-style names such as `llama3:8b`
//! stay plain names.

use std::time::Duration;

/// Upper bounds that keep one request from pinning memory or a connection for ever.
const MAX_TOKENS: usize = 100_000;
const MAX_MILLIS: u64 = 600_000;

/// Every key a model name may carry, for the error message.
const KEYS: &str =
    "tokens, ttft, delay, usage, fail, stall, cut, malformed, silence, multiline, nodone, tools";

/// The options parsed from one model name; all absent for a plain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelOptions {
    /// Emit exactly this many tokens, cycling through the echo's words.
    pub tokens: Option<usize>,
    /// Overrides the configured first-token delay.
    pub ttft: Option<Duration>,
    /// Overrides the configured delay between tokens.
    pub delay: Option<Duration>,
    /// `usage=false`: never report usage, even when the client asks for it.
    pub usage: bool,
    /// Answer with this error instead of a completion.
    pub fail: Option<Failure>,
    /// Wait this long before sending the response head at all.
    pub stall: Option<Duration>,
    /// Stream: end the body with an error after this many content tokens.
    pub cut: Option<usize>,
    /// Stream: send `data: {not json` after this many content tokens, then carry on.
    pub malformed: Option<usize>,
    /// Stream: after this many content tokens (0: right after the role chunk), send nothing
    /// more and keep the connection open (a server that hangs mid-answer).
    pub silence: Option<usize>,
    /// Stream: every chunk's JSON spread over two `data:` lines, with an `id:` field, as the
    /// SSE spec allows.
    pub multiline: bool,
    /// Stream: end after the finish (and usage) chunk without `data: [DONE]`.
    pub nodone: bool,
    /// Stream: the words come as a tool call's arguments, with no content at all.
    pub tools: bool,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            tokens: None,
            ttft: None,
            delay: None,
            usage: true,
            fail: None,
            stall: None,
            cut: None,
            malformed: None,
            silence: None,
            multiline: false,
            nodone: false,
            tools: false,
        }
    }
}

/// The error statuses `fail=` can inject: the ones a gateway must handle differently
/// (client error, retry later, upstream broken, upstream overloaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    BadRequest,
    RateLimited,
    Internal,
    Unavailable,
}

impl ModelOptions {
    /// Parses the options of a model name; the error says which option is wrong and why.
    pub(crate) fn parse(model: &str) -> Result<Self, String> {
        let mut options = Self::default();
        let Some((_, list)) = model
            .rsplit_once(':')
            .filter(|(_, list)| list.contains('='))
        else {
            return Ok(options);
        };
        for item in list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let Some((key, value)) = item.split_once('=') else {
                return Err(format!(
                    "model option `{item}` needs a value, as in `{item}=1`"
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            match key {
                "tokens" => options.tokens = Some(count(key, value, MAX_TOKENS)?),
                "ttft" => options.ttft = Some(millis(key, value)?),
                "delay" => options.delay = Some(millis(key, value)?),
                "stall" => options.stall = Some(millis(key, value)?),
                "cut" => options.cut = Some(count(key, value, MAX_TOKENS)?),
                "malformed" => options.malformed = Some(count(key, value, MAX_TOKENS)?),
                "silence" => options.silence = Some(count(key, value, MAX_TOKENS)?),
                "usage" => options.usage = flag(key, value)?,
                "multiline" => options.multiline = flag(key, value)?,
                "nodone" => options.nodone = flag(key, value)?,
                "tools" => options.tools = flag(key, value)?,
                "fail" => {
                    options.fail = Some(match value {
                        "400" => Failure::BadRequest,
                        "429" => Failure::RateLimited,
                        "500" => Failure::Internal,
                        "503" => Failure::Unavailable,
                        _ => {
                            return Err(format!(
                                "model option fail must be 400, 429, 500 or 503, got `{value}`"
                            ))
                        }
                    })
                }
                _ => {
                    return Err(format!(
                        "unknown model option `{key}`; known options: {KEYS}"
                    ))
                }
            }
        }
        Ok(options)
    }
}

fn flag(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!(
            "model option {key} must be true or false, got `{value}`"
        )),
    }
}

fn count(key: &str, value: &str, max: usize) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!(
            "model option {key} must be a whole number up to {max}, got `{value}`"
        )),
    }
}

fn millis(key: &str, value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(ms) if ms <= MAX_MILLIS => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "model option {key} must be milliseconds up to {MAX_MILLIS}, got `{value}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_name_has_no_options() {
        assert_eq!(
            ModelOptions::parse("dev-chat").unwrap(),
            ModelOptions::default()
        );
    }

    #[test]
    fn a_tag_without_equals_is_part_of_the_name() {
        assert_eq!(
            ModelOptions::parse("llama3:8b").unwrap(),
            ModelOptions::default()
        );
    }

    #[test]
    fn every_key_is_parsed() {
        let options = ModelOptions::parse(
            "llama3:8b:tokens=50,delay=5,ttft=100,usage=false,fail=429,stall=7,cut=3,malformed=2,\
             silence=4,multiline=true,nodone=true,tools=true",
        )
        .unwrap();
        assert_eq!(
            options,
            ModelOptions {
                tokens: Some(50),
                ttft: Some(Duration::from_millis(100)),
                delay: Some(Duration::from_millis(5)),
                usage: false,
                fail: Some(Failure::RateLimited),
                stall: Some(Duration::from_millis(7)),
                cut: Some(3),
                malformed: Some(2),
                silence: Some(4),
                multiline: true,
                nodone: true,
                tools: true,
            }
        );
    }

    #[test]
    fn every_failure_status_is_accepted() {
        for (value, failure) in [
            ("400", Failure::BadRequest),
            ("429", Failure::RateLimited),
            ("500", Failure::Internal),
            ("503", Failure::Unavailable),
        ] {
            let options = ModelOptions::parse(&format!("m:fail={value}")).unwrap();
            assert_eq!(options.fail, Some(failure));
        }
    }

    #[test]
    fn bad_options_are_rejected_with_the_reason() {
        for (model, needle) in [
            ("m:colour=red", "unknown model option `colour`"),
            ("m:tokens=many", "tokens"),
            ("m:tokens=100001", "tokens"),
            ("m:ttft=-5", "ttft"),
            ("m:usage=maybe", "usage"),
            ("m:fail=418", "fail"),
            ("m:tokens=3,cut", "`cut` needs a value"),
        ] {
            let err = ModelOptions::parse(model).unwrap_err();
            assert!(err.contains(needle), "{model}: {err}");
        }
    }
}
