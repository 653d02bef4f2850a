//! preflight: stops database-migration disasters before and after a deploy.
//!
//! Each module is one concept of the design, in layers (ARCHITECTURE.md,
//! "Layers"; `tests/layers.rs` keeps them): foundations (`schema`, `db`,
//! `introspect`, `command`, `yaml`, …), the types a migration tool is made of
//! (`definitions`), one file per tool (`tools`), the engines (`rules`, `lint`,
//! `source`, `ledger`, `expected`, `replay`, `drift`, `diagnosis`, `repair`,
//! `verify`), and the front ends (`report`, `metrics`, `crd`, `daemon`,
//! `operator`, `webhook`, `cli`). Modules that tests, benches and the binary
//! do not use are crate-private.

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
