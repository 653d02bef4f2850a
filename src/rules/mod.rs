//! The rule catalogue: every tool's rules (declared in `tools/<tool>.rs`) plus
//! `release` for rules about release steps as a whole, and the classifier
//! chain over the registry.
//!
//! A tool module knows its programs and subcommands. It classifies each
//! invocation into an [`Action`] (does it apply migrations, record them
//! without running them, destroy data, …) and names the rules it breaks.
//! Context — the phase, a fallback after a failed upgrade, a bootstrap
//! script — is applied by the lint engine, which may change a rule's
//! severity and adds it to the message.

pub mod docs;
pub(crate) mod release;

use crate::command::Invocation;
use crate::definitions::{Classified, Rule};

/// Classifies an invocation with the first tool that recognises it (in the
/// order of `tools::ALL`), then as an indirect migration command.
pub fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.is_help() {
        return None;
    }
    crate::tools::ALL
        .iter()
        .find_map(|t| (t.classify)(inv))
        .or_else(|| release::classify_indirect(inv))
}

/// Every rule, grouped by tool, in a stable order.
pub fn catalogue() -> Vec<&'static Rule> {
    crate::tools::ALL
        .iter()
        .flat_map(|t| t.rules.iter().copied())
        .chain(release::RULES.iter().copied())
        .collect()
}

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    catalogue().into_iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests;
