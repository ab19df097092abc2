//! passgate-core: verifies CAPTCHA pass tokens on the server.
//!
//! Everything that decides lives here — the upstream call, the replay and
//! expiry checks, the outcome code and the log record — so that every
//! language binding gives the same answer for the same input. Bindings parse
//! host arguments into [`Options`] / [`ValidateRequest`], make one call, and
//! convert the [`Outcome`] back.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod error;
mod log;
mod messages;
mod outcome;
mod redis_store;
mod replay;
mod runtime;
mod token;
mod upstream;
mod validate;
mod verifier;

pub use config::{
    Config, ConfigError, Mode, OptionValue, Options, Policy, StoreSpec, DEFAULT_API_BASE,
    DEFAULT_BACKUP_API_BASE, OPTION_NAMES,
};
pub use error::Error;
pub use log::{LogFields, LogValue, LOG_KEYS};
pub use messages::LANGUAGES;
pub use outcome::{CaptchaArgs, Category, Outcome, OutcomeCode};
pub use redis_store::RedisStore;
pub use replay::{MemoryStore, NoStore, ReplayStore, StoreError, StoreFuture};
pub use token::{fingerprint, TokenType, MAX_TOKEN_BYTES};
pub use upstream::{code_for_upstream_error, IssueFailure, ServerToken, MAX_BODY_BYTES};
pub use validate::token_age_ms;
pub use verifier::{IssueRequest, ValidateRequest, Verifier};
