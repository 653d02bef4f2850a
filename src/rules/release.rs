//! Rules about a release step as a whole, for any migration tool.

use crate::command::Invocation;
use crate::definitions::{Action, Classified, Owner, Rule, RuleGroup, RuleKind, Severity};

pub static MASKED_FAILURE: Rule = Rule {
    id: "release/masked-failure",
    owner: Owner::Group(&GROUP),
    kind: RuleKind::Step,
    severity: Severity::Error,
    title: "A failing migration does not fail the release step",
    message: "can fail without failing the step",
    explanation: "A release step only stops a deploy when it exits non-zero. `migrate || true`, \
`migrate || echo failed`, `migrate; exit 0`, `migrate; gunicorn app` (without `set -e`), \
`migrate | tee log` (without `pipefail`) and `migrate &` all exit with the status of something else, so \
a failed migration lets the new version roll out against the old schema. A CI step with \
`continue-on-error: true` (GitHub Actions) or a job with `allow_failure: true` (GitLab) does the same \
one level up: the pipeline goes on to deploy. Nothing is recorded, so the \
ledger stays honest, but the application breaks exactly as if the migration had been stamped.\n\n\
Severity: an error in steps that gate a deploy (pre-deploy jobs and hooks, init containers); a warning \
where the migration runs at process start, because the process keeps running on a schema it expects \
to be migrated.",
    fix: "Let the migration's exit status be the step's: `set -e` (or `sh -ec`), `&&` between commands, \
no `|| true`; if the output must be kept, `set -o pipefail`.",
    examples: &[
        "alembic upgrade head || true",
        "python manage.py migrate; exit 0",
        "sh -c \"rails db:migrate; rails server\"",
        "npx prisma migrate deploy | tee /tmp/migrate.log",
    ],
};

pub static NO_MIGRATION_STEP: Rule = Rule {
    id: "release/no-migration-step",
    owner: Owner::Group(&GROUP),
    kind: RuleKind::Step,
    severity: Severity::Warning,
    title: "An app with a database has no release step that applies migrations",
    message: "declares a database, but no release step applies migrations",
    explanation: "The spec declares a SQL database but no pre-deploy job, release phase, hook or start \
command runs a migration tool. Either migrations are applied by hand — and a deploy can ship code that \
needs a schema the database does not have yet — or they run somewhere preflight cannot see (an image's \
default command, a script).",
    fix: "Add a pre-deploy step that applies migrations (a DigitalOcean `PRE_DEPLOY` job, a Heroku \
`release:` line, Fly `release_command`, Render `preDeployCommand`). If migrations run elsewhere on \
purpose, allowlist this rule for the file with a reason.",
    examples: &["(a DigitalOcean spec with `databases:` and no `PRE_DEPLOY` job)"],
};

pub static DEFAULT_COMMAND: Rule = Rule {
    id: "release/default-command",
    owner: Owner::Group(&GROUP),
    kind: RuleKind::Step,
    severity: Severity::Info,
    title: "A release job without a command runs its image's default",
    message: "has no command: it runs the image's default (Dockerfile `CMD`/`ENTRYPOINT` or Procfile), which preflight cannot see",
    explanation: "On DigitalOcean App Platform an empty `run_command` runs the component's default command \
from the image or buildpack. What that command does is decided by a Dockerfile or Procfile, possibly in \
another repository, and can change without the spec changing. preflight does not guess it.",
    fix: "Write the migration command into the spec (`run_command: python -m alembic upgrade head`) so it is \
reviewed, versioned and linted with the spec.",
    examples: &["(a `PRE_DEPLOY` job with no `run_command`)"],
};

pub static MIGRATE_ON_START: Rule = Rule {
    id: "release/migrate-on-start",
    owner: Owner::Group(&GROUP),
    kind: RuleKind::Step,
    severity: Severity::Info,
    title: "Migrations run at the start of a long-running process",
    message: "runs migrations every time a replica starts",
    explanation: "Running migrations in the start command of a web or worker process applies them on every \
start of every replica, concurrently, while old replicas still serve traffic, and a failed migration \
makes the process crash-loop instead of stopping the deploy. A release phase runs them once, before the \
rollout, and blocks it on failure.",
    fix: "Move the migration into a release step (a `PRE_DEPLOY` job, `release:` process, \
`release_command`, `preDeployCommand`, or a Helm `pre-upgrade` hook Job).",
    examples: &["web: alembic upgrade head && gunicorn app:app"],
};

pub static INVALID_SUPPRESSION: Rule = Rule {
    id: "release/invalid-suppression",
    owner: Owner::Group(&GROUP),
    kind: RuleKind::Step,
    severity: Severity::Warning,
    title: "A suppression has no reason or names no known rule",
    message: "is a suppression without a reason or with an unknown rule id",
    explanation: "Suppressions (`# preflight-ignore <rule>: <reason>` comments, the \
`preflight.dev/ignore` annotation, config allowlist entries) must name known rule ids and give a reason, \
so a reviewer can tell a deliberate exception from a silenced accident. A suppression without one is \
ignored and the finding it meant to hide is still reported.",
    fix: "Write `# preflight-ignore alembic/stamp: <why this is safe>` (comma-separate several rule ids).",
    examples: &["# preflight-ignore alembic/stamp"],
};

pub static SPEC_DRIFT: Rule = Rule {
    id: "release/spec-drift",
    owner: Owner::Group(&GROUP),
    kind: RuleKind::Step,
    severity: Severity::Warning,
    title: "The live spec's release steps differ from the repository's",
    message: "differs between the live spec and the repository's spec",
    explanation: "App Platform keeps the app spec server-side: edits in the control panel, `doctl apps update` \
or the API change what deploys without touching `.do/app.yaml`. A release step edited that way is never \
reviewed, and the repository keeps showing the command that no longer runs. In the reference incident \
the repository said `alembic upgrade head` while the live PRE_DEPLOY job said `alembic stamp head`. \
`preflight daemon` reports this rule when it compares the live spec from the Apps API with the spec \
files of the app.",
    fix: "Make the repository the source of truth again: put the intended command in `.do/app.yaml` and apply \
it with `doctl apps update <id> --spec .do/app.yaml` (or deploy through the GitHub action that reads it).",
    examples: &[
        "(a live `PRE_DEPLOY` job running `stamp head` where `.do/app.yaml` says `upgrade head`)",
    ],
};

pub static NOT_JUDGED: Rule = Rule {
    id: "release/not-judged",
    owner: Owner::Group(&GROUP),
    kind: RuleKind::Step,
    severity: Severity::Info,
    title: "A release step whose command is not in the file",
    message: "is not judged: its command is a template expression, known only when the chart is rendered",
    explanation: "Without `helm` on `PATH` (or when rendering fails), preflight reads a chart's templates \
itself. A command that is literal in the template is linted; a command written as a template expression \
(`{{ .Values.migrate.command }}`, `{{ toYaml .Values.args | nindent 12 }}`) has no value until Helm \
renders it with the release's values, so preflight says so instead of calling the step clean.",
    fix: "Install `helm` where `preflight lint` runs (and pass `--values`/`--set` as the release does), or \
lint the rendered chart: `helm template <chart> -f values-prod.yaml | preflight lint -`.",
    examples: &["command: [\"/bin/sh\", \"-c\", {{ .Values.migrate.command | quote }}]"],
};

pub static RULES: &[&Rule] = &[
    &MASKED_FAILURE,
    &NO_MIGRATION_STEP,
    &DEFAULT_COMMAND,
    &MIGRATE_ON_START,
    &INVALID_SUPPRESSION,
    &SPEC_DRIFT,
    &NOT_JUDGED,
];

/// Commands that probably apply migrations without naming a tool:
/// `npm run migrate`, `make migrate`, `./scripts/migrate.sh`, `bin/migrate`.
pub(super) fn classify_indirect(inv: &Invocation) -> Option<Classified> {
    let target = match inv.program.as_str() {
        "npm-run" | "make" | "just" | "task" | "mage" | "invoke" | "nox" | "tox" => {
            inv.args.first().map(|w| w.text.as_str())?
        }
        other => other,
    };
    let t = target.to_ascii_lowercase();
    let applies = (t.contains("migrat") || t.contains("db:deploy") || t == "release")
        && ![
            "rollback", "down", "revert", "status", "reset", "create", "make", "generate", "new",
        ]
        .iter()
        .any(|w| t.contains(w));
    applies.then(|| Classified::indirect(Action::ApplyIndirect))
}

/// Rules about a release step as a whole, for any tool.
pub static GROUP: RuleGroup = RuleGroup {
    id: "release",
    name: "Release steps",
    docs_url: "https://github.com/preflight-dev/preflight/blob/main/docs/rules/README.md",
};
