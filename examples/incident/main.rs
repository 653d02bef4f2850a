//! The reference incident, end to end: `cargo run --example incident`.
//!
//! A PRE_DEPLOY job was changed in the DigitalOcean dashboard from
//! `alembic upgrade head` to `alembic stamp head`. The repository's spec was
//! still right; the live one was not. This runs preflight on both.

use std::path::Path;

fn main() -> std::process::ExitCode {
    // Paths relative to the repository, as a user would type them.
    if let Err(e) = std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")) {
        eprintln!("cannot enter the repository: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let dir = Path::new("examples/incident");
    let repo_spec = dir.join(".do/app.yaml");
    let live_spec = dir.join("live-app-spec.yaml");

    println!(
        "== preflight lint {} (the repository's spec)\n",
        rel(&repo_spec)
    );
    let repo = preflight::cli::run_args(["preflight", "lint", &s(&repo_spec)]);
    println!(
        "\n== preflight lint {} (the live spec, as `doctl apps spec get` printed it)\n",
        rel(&live_spec)
    );
    let live = preflight::cli::run_args(["preflight", "lint", &s(&live_spec)]);

    // The demo succeeds when preflight tells the two apart: the repository's
    // spec is clean (exit 0) and the live one fails the gate (exit 1).
    if repo == 0 && live == 1 {
        println!("\nThe live spec would have failed the deploy gate (exit code {live}).");
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!("unexpected exit codes: repository spec {repo}, live spec {live}");
        std::process::ExitCode::FAILURE
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn rel(p: &Path) -> String {
    p.display().to_string()
}
