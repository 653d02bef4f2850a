//! The reference incident, end to end: `cargo run --example incident`.
//!
//! A PRE_DEPLOY job was changed in the DigitalOcean dashboard from
//! `alembic upgrade head` to `alembic stamp head`. The repository's spec was
//! still right; the live one was not, and the database's ledger said
//! `018_add_notifications` while two tables never existed.
//!
//! This builds that database as a local SQLite file (from the dump the real
//! Alembic produced, `database/incident-state.sqlite.sql`) and runs the gate
//! preflight offers: `preflight check` — lint the live spec, verify the
//! database against the Alembic revision files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // an example stops at the first surprise

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Paths relative to the repository, as a user would type them.
    if let Err(e) = std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")) {
        eprintln!("cannot enter the repository: {e}");
        return ExitCode::FAILURE;
    }
    let dir = Path::new("examples/incident");
    let db = match build_database(&dir.join("database/incident-state.sqlite.sql")) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("cannot build the incident database: {e}");
            return ExitCode::FAILURE;
        }
    };
    let url = format!("sqlite://{}", db.display());

    println!("== The repository's spec (.do/app.yaml) is clean:\n");
    let repo = preflight::cli::run_args(["preflight", "lint", "examples/incident/.do/app.yaml"]);

    println!("\n== The live spec and the database, as they were on 2026-01-15:\n");
    println!(
        "$ preflight check examples/incident/live-app-spec.yaml --database-url {url} --expected examples/incident/backend/alembic.ini\n"
    );
    let live = preflight::cli::run_args([
        "preflight",
        "check",
        "examples/incident/live-app-spec.yaml",
        "--database-url",
        &url,
        "--expected",
        "examples/incident/backend/alembic.ini",
    ]);
    let _ = std::fs::remove_file(&db);

    // The demo succeeds when preflight tells them apart: the repository's
    // spec passes (0) and the live spec plus the stamped database fail (1).
    if repo == 0 && live == 1 {
        println!("The deploy gate would have stopped this release (exit code {live}).");
        ExitCode::SUCCESS
    } else {
        eprintln!("unexpected exit codes: repository spec {repo}, incident {live}");
        ExitCode::FAILURE
    }
}

/// Loads the SQL dump into a fresh SQLite file in the temp directory.
fn build_database(dump: &Path) -> Result<PathBuf, String> {
    let sql = std::fs::read_to_string(dump).map_err(|e| format!("{}: {e}", dump.display()))?;
    let path = std::env::temp_dir().join(format!("preflight-incident-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = preflight::db::DatabaseUrl::parse(&format!("sqlite://{}", path.display()))
        .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut conn = preflight::db::connect_writable(&url)
            .await
            .map_err(|e| e.to_string())?;
        conn.execute(&sql)
            .await
            .map_err(|e| preflight::db::clean_message(&e))?;
        conn.close().await;
        Ok::<(), String>(())
    })?;
    Ok(path)
}
