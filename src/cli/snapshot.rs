use super::db_args::{DbArgs, runtime};
use super::exit;
use crate::expected::snapshot::{FORMAT_VERSION, SnapshotFile};
use crate::verify::{self, VerifyOptions};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Record the schema under this revision [default: the ledger's current version].
    /// With an existing file, the revision's entry is added or replaced, so one file
    /// can hold a schema per revision.
    #[arg(long)]
    revision: Option<String>,
    /// The snapshot file to write.
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: SnapshotArgs) -> u8 {
    let url = match args.db.url() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    let opts = VerifyOptions {
        connect: args.db.connect_options(),
        introspect: args.db.introspect_options(),
        ..VerifyOptions::default()
    };
    let live = match runtime().and_then(|rt| rt.block_on(verify::read_live(&url, &opts))) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    let revision = args.revision.clone().or_else(|| match &live.ledger {
        Some(l) if l.current.len() == 1 => Some(l.current[0].clone()),
        _ => None,
    });
    let mut file = if args.output.exists() && revision.is_some() {
        match SnapshotFile::read(&args.output) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e} (remove it or write to another file)");
                return exit::INPUT;
            }
        }
    } else {
        SnapshotFile {
            preflight_snapshot: FORMAT_VERSION,
            engine: None,
            revisions: Vec::new(),
        }
    };
    let (tables, columns, indexes) = live.schema.counts();
    file.put(revision.clone(), live.schema);
    if let Err(e) = file.write(&args.output) {
        eprintln!("error: {e}");
        return exit::INPUT;
    }
    eprintln!(
        "wrote {}: {tables} tables, {columns} columns, {indexes} indexes{} ({} revision{} in the file)",
        args.output.display(),
        revision
            .map(|r| format!(" at revision {r}"))
            .unwrap_or_default(),
        file.revisions.len(),
        if file.revisions.len() == 1 { "" } else { "s" }
    );
    exit::OK
}
