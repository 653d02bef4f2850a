//! Helpers the tool files share to read invocations.

use crate::command::Invocation;

/// The first positional argument (the subcommand of most CLIs).
pub fn subcommand<'a>(inv: &'a Invocation, value_options: &'a [&'a str]) -> Option<&'a str> {
    inv.positionals(value_options)
        .first()
        .map(|w| w.text.as_str())
}

/// True for the values people use for "on".
pub fn truthy(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on" | "y"
    )
}

/// True for the values people use for "off".
pub fn falsy(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off" | "n"
    )
}

/// What every driver of a runtime needs written next to it: the protocol
/// plumbing that runtime's drivers share.
pub(crate) fn driver_support(
    runtime: crate::definitions::Runtime,
) -> &'static [(&'static str, &'static str)] {
    match runtime {
        crate::definitions::Runtime::Node => &[(
            "node_protocol.cjs",
            include_str!("drivers/node_protocol.cjs"),
        )],
        crate::definitions::Runtime::Python => &[(
            "python_protocol.py",
            include_str!("drivers/python_protocol.py"),
        )],
    }
}
