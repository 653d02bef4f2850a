//! preflight: stops database-migration disasters before and after a deploy.
//!
//! See `ARCHITECTURE.md` for how the modules fit together. Each module is one
//! concept of the design: spec sources (`source`), release steps
//! (`release_step`), command analysis (`command`), rules (`rules`), the lint
//! engine (`lint`) and the output formats (`report`).

pub mod cli;
pub mod command;
pub mod config;
pub mod crd;
pub mod daemon;
pub mod db;
pub mod definitions;
pub mod diagnosis;
pub(crate) mod drift;
pub(crate) mod duration;
pub mod expected;
pub(crate) mod introspect;
pub(crate) mod ledger;
pub mod lint;
pub(crate) mod location;
pub mod metrics;
pub mod operator;
pub(crate) mod redact;
pub(crate) mod release_step;
pub(crate) mod repair;
pub(crate) mod replay;
pub(crate) mod report;
pub mod rules;
pub(crate) mod schedule;
pub mod schema;
pub(crate) mod server;
pub mod source;
pub(crate) mod spec_drift;
pub(crate) mod telemetry;
pub(crate) mod text;
pub mod tools;
pub mod verify;
pub mod webhook;
pub mod yaml;
