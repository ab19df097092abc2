//! The `passgate` command's library: the local CaptchaLa emulator and the
//! demo walk-through, shared by the binary and the integration tests.

pub mod conformance;
pub mod demo;
pub mod mock;
