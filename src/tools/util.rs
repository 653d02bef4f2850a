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

/// What every Node replay driver needs next to it: the protocol plumbing
/// they share (`drivers/node_protocol.cjs`).
pub(crate) const NODE_DRIVER_SUPPORT: &[(&str, &str)] = &[(
    "node_protocol.cjs",
    include_str!("drivers/node_protocol.cjs"),
)];

/// What every Python replay driver needs next to it: the protocol plumbing
/// they share (`drivers/python_protocol.py`).
pub(crate) const PYTHON_DRIVER_SUPPORT: &[(&str, &str)] = &[(
    "python_protocol.py",
    include_str!("drivers/python_protocol.py"),
)];
