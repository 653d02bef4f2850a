//! Helm charts as input: rendered by `helm template` when Helm is installed
//! (`render`), read template by template otherwise (`template`), with
//! positions in rendered output mapped back to template lines (`map`).

pub mod map;
pub(crate) mod render;
pub mod template;
