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
pub mod drift;
pub mod duration;
pub mod expected;
pub mod introspect;
pub mod ledger;
pub mod lint;
pub mod location;
pub mod metrics;
pub mod operator;
pub mod redact;
pub mod release_step;
pub mod repair;
pub mod replay;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod schema;
pub mod server;
pub mod source;
pub mod spec_drift;
pub mod telemetry;
pub mod text;
pub mod tools;
pub mod verify;
pub mod webhook;
pub mod yaml;
