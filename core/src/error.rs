//! The one error type of the core. Bindings convert it in one place.
//! A bad token or a failing upstream is never an error: it is an `Outcome`.

use crate::config::ConfigError;
use crate::provider::IssueFailure;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A bad setting, found at construction.
    Config(ConfigError),
    /// `issue_server_token` was refused or the upstream failed.
    Issue(IssueFailure),
    /// A bug: a caught panic or a runtime that could not start. The message
    /// never holds a secret or token.
    Internal(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Config(e) => e.fmt(f),
            Error::Issue(e) => e.fmt(f),
            Error::Internal(message) => write!(f, "passgate internal error: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<IssueFailure> for Error {
    fn from(e: IssueFailure) -> Self {
        Error::Issue(e)
    }
}
