//! Release steps: commands that run around a deploy, with their phase and
//! their exact place in the spec they came from.

use crate::command::CommandText;
use serde::Serialize;

/// When a release step runs, relative to a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Before every rollout: DO `PRE_DEPLOY`, Heroku `release:`, Fly
    /// `release_command`, Render/Railway `preDeployCommand`, Helm
    /// `pre-upgrade`, Argo CD `PreSync`.
    PreDeploy,
    /// After every rollout: DO `POST_DEPLOY`, Helm `post-upgrade`, Argo `PostSync`.
    PostDeploy,
    /// When a rollout failed: DO `FAILED_DEPLOY`, Argo `SyncFail`.
    FailedDeploy,
    /// During an Argo CD sync, with the other resources.
    Sync,
    /// Only on first install: Helm `pre-install`/`post-install` without an upgrade hook.
    Install,
    /// When a release is rolled back: Helm `pre-rollback`/`post-rollback`.
    Rollback,
    /// When a release is deleted: Helm `pre-delete`, Argo `PreDelete`.
    Delete,
    /// `helm test` hooks.
    Test,
    /// An init container: before every start of every pod.
    Init,
    /// The main process of a service or worker: at every start of every replica.
    Startup,
    /// A plain Job or job component: runs once when it is created.
    Job,
    /// A CronJob or scheduled job: runs on a schedule, unattended.
    Scheduled,
    /// A deploying job of a CI pipeline (GitHub Actions, GitLab CI): runs on
    /// every deploy, like a pre-deploy step.
    CiDeploy,
}

impl Phase {
    /// Runs again and again (every deploy, start or schedule), as opposed to a
    /// one-off run someone starts on purpose.
    pub fn is_recurring(self) -> bool {
        !matches!(
            self,
            Phase::Install | Phase::Job | Phase::Delete | Phase::Test
        )
    }

    /// A phase whose purpose is to react to a failed or reverted release.
    pub fn is_recovery(self) -> bool {
        matches!(self, Phase::FailedDeploy | Phase::Rollback)
    }

    /// Runs as part of rolling out a new version.
    pub fn is_deploy(self) -> bool {
        matches!(
            self,
            Phase::PreDeploy
                | Phase::PostDeploy
                | Phase::Sync
                | Phase::Init
                | Phase::Startup
                | Phase::CiDeploy
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PreDeploy => "pre-deploy",
            Phase::PostDeploy => "post-deploy",
            Phase::FailedDeploy => "failed-deploy",
            Phase::Sync => "sync",
            Phase::Install => "install",
            Phase::Rollback => "rollback",
            Phase::Delete => "delete",
            Phase::Test => "test",
            Phase::Init => "init",
            Phase::Startup => "startup",
            Phase::Job => "job",
            Phase::Scheduled => "scheduled",
            Phase::CiDeploy => "ci-deploy",
        }
    }

    /// When the step runs, in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::PreDeploy => "runs before every deploy",
            Phase::PostDeploy => "runs after every deploy",
            Phase::FailedDeploy => "runs when a deploy fails",
            Phase::Sync => "runs during every sync",
            Phase::Install => "runs once, on first install",
            Phase::Rollback => "runs when a release is rolled back",
            Phase::Delete => "runs when the release is deleted",
            Phase::Test => "runs on `helm test`",
            Phase::Init => "runs before every pod start",
            Phase::Startup => "runs at every start of every replica",
            Phase::Job => "runs once when created",
            Phase::Scheduled => "runs on a schedule",
            Phase::CiDeploy => "runs in a CI deploy job, on every deploy",
        }
    }
}

/// An environment variable set on the step by its spec (container `env`, DO `envs`).
#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// A command that runs around a deploy.
#[derive(Debug, Clone)]
pub struct ReleaseStep {
    pub phase: Phase,
    /// What the step belongs to, for people: ``PRE_DEPLOY job `release-migrate` ``,
    /// ``Job `migrate`, container `migrate` ``.
    pub object: String,
    /// A stable, short key for the object (`Job/migrate/migrate`), used by
    /// allowlists and metrics.
    pub object_key: String,
    /// The command; `None` when the spec leaves it to the image's default.
    pub command: Option<CommandText>,
    /// Byte offset (in the document text) to report at when there is no command.
    pub at: usize,
    /// Environment set by the spec for this step.
    pub env: Vec<EnvVar>,
    /// Suppression directives attached to the object (Kubernetes annotations),
    /// with the byte offset of the annotation.
    pub directives: Vec<(String, usize)>,
    /// The app this step belongs to, as an index into the document's apps.
    pub app: Option<usize>,
    /// The spec lets the pipeline go on when the step fails (GitHub Actions'
    /// `continue-on-error`, GitLab's `allow_failure`): why, for the message.
    pub failure_ignored: Option<String>,
}

/// An application in a spec, for checks across its steps.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    /// The spec declares a SQL database for this app.
    pub has_database: bool,
    /// Byte offset of the database declaration.
    pub database_at: usize,
}

/// What a spec source found in one document.
#[derive(Debug, Default)]
pub struct Extracted {
    pub steps: Vec<ReleaseStep>,
    pub apps: Vec<App>,
    /// Problems with individual objects (a `command` that is not a list);
    /// the rest of the document is still linted.
    pub problems: Vec<Problem>,
    /// What was deliberately not linted and why (a CI job that does not
    /// deploy, a templated command): shown with `--verbose`.
    pub skipped: Vec<Problem>,
    /// Commands that could not be judged (a Helm expression where the command
    /// should be): reported as `not-judged` infos.
    pub not_judged: Vec<Problem>,
}

/// A structural problem in an object of a spec.
#[derive(Debug, Clone)]
pub struct Problem {
    pub message: String,
    pub at: usize,
}
