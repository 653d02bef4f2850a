//! The `DatabaseGuard` custom resource (`preflight.dev/v1alpha1`), generated
//! from these types by `preflight crd`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Watches one database: is its schema what its migration ledger claims?
#[derive(CustomResource, Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
#[kube(
    group = "preflight.dev",
    version = "v1alpha1",
    kind = "DatabaseGuard",
    plural = "databaseguards",
    shortname = "dbguard",
    namespaced,
    status = "DatabaseGuardStatus",
    printcolumn = r#"{"name":"Verdict","type":"string","jsonPath":".status.verdict"}"#,
    printcolumn = r#"{"name":"Ledger","type":"string","jsonPath":".status.ledger.version"}"#,
    printcolumn = r#"{"name":"Matches","type":"string","jsonPath":".status.matchedRevision"}"#,
    printcolumn = r#"{"name":"Drift","type":"integer","jsonPath":".status.drift.significant"}"#,
    printcolumn = r#"{"name":"Enforcement","type":"string","jsonPath":".spec.enforcement"}"#,
    printcolumn = r#"{"name":"Checked","type":"date","jsonPath":".status.lastCheckTime"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseGuardSpec {
    /// Where the database URL comes from (it is never written in the guard).
    pub database: DatabaseSource,
    /// What the database should look like.
    pub expected: ExpectedSource,
    /// How often to check, e.g. `60s`, `5m`.
    #[serde(default = "default_interval")]
    #[schemars(pattern(r"^[0-9]+(ms|s|m|h)$"))]
    pub interval: String,
    /// Longest a check may take, e.g. `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[0-9]+(ms|s|m|h)$"))]
    pub timeout: Option<String>,
    /// What the admission webhook does about workloads of this database while
    /// it is inconsistent (unset: the namespace's or the global mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<Enforcement>,
    /// The workloads (Deployments, Jobs, …) that use this database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// PostgreSQL schemas to check (empty: all but the system schemas).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
}

fn default_interval() -> String {
    "60s".into()
}

/// How the webhook treats what this guard knows.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
pub enum Enforcement {
    /// Deny.
    Enforce,
    /// Admit with admission warnings.
    Warn,
    /// Admit and record.
    Audit,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSource {
    /// A key of a Secret in the guard's namespace holding the database URL.
    pub secret_ref: KeyRef,
}

/// A key of a Secret or ConfigMap in the guard's namespace.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    #[schemars(length(min = 1))]
    pub name: String,
    #[schemars(length(min = 1))]
    pub key: String,
}

/// A Secret or ConfigMap; `key` selects one entry, or all entries are used
/// (a directory of migration files).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    #[schemars(length(min = 1))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("has(self.configMapRef) != has(self.secretRef)").message("set exactly one of expected.configMapRef and expected.secretRef"))]
#[serde(rename_all = "camelCase")]
pub struct ExpectedSource {
    /// A ConfigMap holding a snapshot (`*.json`, or `*.json.gz` under
    /// `binaryData`), SQL DDL (`*.sql`), or — without `key` — Alembic revision
    /// files (`*.py`) or SQL migration files. Keys `<name>.part-000`,
    /// `<name>.part-001`, … are joined in order into `<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_ref: Option<ObjectRef>,
    /// The same, from a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<ObjectRef>,
    /// What the source holds, when the key's extension does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ExpectedFormat>,
    /// A server where preflight may create and drop a throwaway database
    /// (needed for SQL expectations; never the guarded database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow_database: Option<DatabaseSource>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
pub enum ExpectedFormat {
    Snapshot,
    Sql,
    Migrations,
    Alembic,
}

/// What the last check found.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseGuardStatus {
    /// `Ready` (the check ran), `SchemaInSync`, `LedgerConsistent`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recorded_not_applied: Vec<String>,
    /// Revisions the ledger does not record whose changes are in the schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_not_recorded: Vec<String>,
    /// A revision only part of whose changes are in the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partly_applied: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftStatus>,
    /// About the expected source: what could not be modelled, a source close
    /// to the size limit of its ConfigMap or Secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What brings ledger and schema back together, and whether it was
    /// proven on a shadow database (never run by the operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair: Option<RepairStatus>,
    /// Objects the schema lacks (tables first), for the webhook's messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepairStatus {
    /// The steps in order: commands in the tool's CLI, ledger SQL, or what a
    /// person must do.
    pub steps: Vec<String>,
    /// Checks to make before the first step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// Whether the plan was proven on a shadow database.
    pub proven: bool,
    /// Why it is not proven, or how it was.
    pub proof: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerStatus {
    pub tool: String,
    pub version: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftStatus {
    /// Items of at least warning severity.
    pub significant: u32,
    pub missing: u32,
    pub changed: u32,
    pub extra: u32,
    /// The first items, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
}

/// The CRD as YAML, for `preflight crd` and the Helm chart.
pub fn crd_yaml() -> Result<String, crate::yaml::TypedError> {
    use kube::CustomResourceExt;
    let crd = DatabaseGuard::crd();
    crate::yaml::to_string(&crd)
}
