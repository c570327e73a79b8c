//! What the relay reads of each streamed chunk: borrowed from the event's bytes, never
//! re-serialised (the client gets the upstream's bytes, with only `model` spliced).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::usage::Usage;

#[derive(Deserialize)]
pub(crate) struct ChunkProbe<'a> {
    #[serde(borrow, default)]
    pub model: Option<&'a RawValue>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(borrow, default)]
    pub choices: Option<Vec<ChoiceProbe<'a>>>,
    #[serde(borrow, default)]
    pub error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub(crate) struct ChoiceProbe<'a> {
    #[serde(borrow, default)]
    pub delta: Option<DeltaProbe<'a>>,
    #[serde(borrow, default)]
    pub finish_reason: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub(crate) struct DeltaProbe<'a> {
    #[serde(borrow, default)]
    pub content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub tool_calls: Option<Vec<ToolCallProbe<'a>>>,
}

#[derive(Deserialize)]
pub(crate) struct ToolCallProbe<'a> {
    #[serde(borrow, default)]
    pub function: Option<FunctionProbe<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct FunctionProbe<'a> {
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arguments: Option<Cow<'a, str>>,
}
