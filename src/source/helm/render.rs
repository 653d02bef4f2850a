//! `helm template` on a chart directory, with the user's values.

use crate::yaml::DocumentSplitter;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How charts are rendered: `--values`/`--set` as the release uses them.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// The `helm` binary; `None` looks for `helm` on `PATH`.
    pub helm: Option<PathBuf>,
    pub values: Vec<PathBuf>,
    pub set: Vec<String>,
}

/// One rendered document and the template it came from.
#[derive(Debug, Clone)]
pub struct RenderedDocument {
    /// The template, relative to the chart directory
    /// (`templates/job.yaml`, `charts/worker/templates/job.yaml`).
    pub template: PathBuf,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("could not run `{helm}`")]
    Spawn {
        helm: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`helm template {chart}` failed: {stderr}")]
    Failed { chart: PathBuf, stderr: String },
    #[error("could not read the output of `helm template {chart}`")]
    Output {
        chart: PathBuf,
        #[source]
        source: crate::yaml::ReadError,
    },
}

/// `helm` from `PREFLIGHT_HELM`, the options, or `PATH`.
pub fn find_helm(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("PREFLIGHT_HELM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("helm"))
        .find(|p| p.is_file())
}

/// Renders `chart` with `helm template` (hooks and tests included) and splits
/// the output into documents, each with its template.
#[tracing::instrument(skip(opts), fields(chart = %chart.display()))]
pub fn render(
    helm: &Path,
    chart: &Path,
    opts: &RenderOptions,
) -> Result<Vec<RenderedDocument>, RenderError> {
    let mut cmd = Command::new(helm);
    cmd.arg("template").arg("preflight").arg(chart);
    for v in &opts.values {
        cmd.arg("--values").arg(v);
    }
    for s in &opts.set {
        cmd.arg("--set").arg(s);
    }
    let out = cmd.output().map_err(|source| RenderError::Spawn {
        helm: helm.to_path_buf(),
        source,
    })?;
    if !out.status.success() {
        return Err(RenderError::Failed {
            chart: chart.to_path_buf(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    split(&out.stdout).map_err(|source| RenderError::Output {
        chart: chart.to_path_buf(),
        source,
    })
}

/// Splits `helm template` output at its documents; `# Source: <chart>/<path>`
/// names each one's template.
pub fn split(output: &[u8]) -> Result<Vec<RenderedDocument>, crate::yaml::ReadError> {
    let mut docs = Vec::new();
    for doc in DocumentSplitter::new(output) {
        let doc = doc?;
        let Some(source) = doc.text.lines().find_map(|l| l.strip_prefix("# Source: ")) else {
            continue;
        };
        // The first component is the chart's name, not its directory.
        let template: PathBuf = Path::new(source.trim()).components().skip(1).collect();
        docs.push(RenderedDocument {
            template,
            text: doc.text,
        });
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_their_template_relative_to_the_chart() {
        let out = b"---\n# Source: api/templates/svc.yaml\nkind: Service\n---\n# Source: api/charts/worker/templates/job.yaml\nkind: Job\n";
        let docs = split(out).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].template, PathBuf::from("templates/svc.yaml"));
        assert_eq!(
            docs[1].template,
            PathBuf::from("charts/worker/templates/job.yaml")
        );
        assert!(docs[1].text.contains("kind: Job"));
    }
}
