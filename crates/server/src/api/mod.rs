//! The `/v1` API: its handlers ([`authorize`] and its prompts, [`settings`]), what they answer
//! with ([`answer`]: exact bytes, receipts, replays), its shapes ([`dto`]), the operator's
//! routes ([`health`]) and the OpenAPI document ([`openapi`]). The route table is
//! [`crate::router`]'s.

pub(crate) mod answer;
pub(crate) mod authorize;
pub(crate) mod dto;
pub(crate) mod health;
pub(crate) mod openapi;
pub(crate) mod settings;

pub use openapi::ApiDoc;
