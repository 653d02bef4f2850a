//! The operation model, table-driven: revision source → the schema it
//! leaves, and what it could not follow. Runs without Python or a database.

use super::Model;
use crate::expected::python::parse_module;
use crate::schema::{ConstraintKind, Engine, Schema};

/// Applies each source's `upgrade()` in order and describes the result,
/// one line per object, plus one `opaque …` line per unmodelled reach of
/// the last revision.
fn run(sources: &[&str], engine: Option<Engine>) -> Vec<String> {
    let mut model = Model {
        engine,
        ..Model::default()
    };
    for (i, src) in sources.iter().enumerate() {
        let module = parse_module(src);
        model.begin(&format!("r{i}"), &format!("r{i}.py"));
        if let Some(f) = module.functions.get("upgrade") {
            model.apply(&f.body, &module);
        }
    }
    let mut out = describe(&model.schema);
    out.extend(model.unmodelled.iter().map(|u| {
        format!(
            "opaque {:?} on {}",
            u.reach,
            u.table.as_deref().unwrap_or("any table")
        )
    }));
    out.extend(model.relaxed.iter().map(|t| format!("relaxed {t}")));
    out
}

fn describe(s: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (q, t) in &s.tables {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| match c.nullable {
                Some(false) => format!("{} not null", c.name),
                _ => c.name.clone(),
            })
            .collect();
        out.push(format!("table {q} ({})", cols.join(", ")));
        for i in &t.indexes {
            out.push(format!(
                "{}index {} on {q} ({}){}",
                if i.unique { "unique " } else { "" },
                i.name,
                i.keys.join(", "),
                i.predicate
                    .as_deref()
                    .map(|p| format!(" where {p}"))
                    .unwrap_or_default()
            ));
        }
        for c in &t.constraints {
            out.push(match &c.kind {
                ConstraintKind::PrimaryKey { columns } => {
                    format!("primary key on {q} ({})", columns.join(", "))
                }
                ConstraintKind::Unique { columns } => {
                    format!("unique {} on {q} ({})", c.name, columns.join(", "))
                }
                ConstraintKind::ForeignKey {
                    columns,
                    references,
                    referenced_columns,
                    ..
                } => format!(
                    "foreign key {} on {q} ({}) -> {references} ({})",
                    c.name,
                    columns.join(", "),
                    referenced_columns.join(", ")
                ),
                ConstraintKind::Check { expression } => {
                    format!("check {} on {q}: {expression}", c.name)
                }
            });
        }
    }
    out
}

const CREATE_USERS: &str = r#"
def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("name", sa.String(100)),
    )
"#;

/// (case, revisions in order, engine, the schema and notes expected).
type Case = (
    &'static str,
    &'static [&'static str],
    Option<Engine>,
    &'static [&'static str],
);

const CASES: &[Case] = &[
    (
        "create_table with a primary key and nullability",
        &[CREATE_USERS],
        None,
        &[
            "table users (id not null, email not null, name)",
            "primary key on users (id)",
        ],
    ),
    (
        "add and drop columns",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    op.add_column("users", sa.Column("age", sa.Integer()))
    op.drop_column("users", "name")
"#,
        ],
        None,
        &[
            "table users (id not null, email not null, age)",
            "primary key on users (id)",
        ],
    ),
    (
        "names followed through locals and a literal loop",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    table = "users"
    for col in ["a", "b"]:
        op.add_column(table, sa.Column(col, sa.Text()))
"#,
        ],
        None,
        &[
            "table users (id not null, email not null, name, a, b)",
            "primary key on users (id)",
        ],
    ),
    (
        "indexes, unique and partial on their dialect only",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_index("ix_users_name", "users", ["name"], postgresql_where=sa.text("name IS NOT NULL"))
"#,
        ],
        Some(Engine::Mysql),
        &[
            "table users (id not null, email not null, name)",
            "unique index ix_users_email on users (email)",
            "index ix_users_name on users (name)",
            "primary key on users (id)",
        ],
    ),
    (
        "text keys keep their ordering outside the expression",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    op.create_index("ix_users_name", "users", [sa.text("name ASC")])
    op.create_index("ix_users_lower", "users", [sa.text("lower(email) DESC")])
"#,
        ],
        Some(Engine::Postgres),
        &[
            "table users (id not null, email not null, name)",
            "index ix_users_name on users (name ASC)",
            "index ix_users_lower on users ((lower(email)) DESC)",
            "primary key on users (id)",
        ],
    ),
    (
        "a foreign key and a check constraint, then a drop by name",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    op.create_table("posts", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("user_id", sa.Integer()))
    op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"])
    op.create_check_constraint("ck_posts_id", "posts", "id > 0")
    op.create_unique_constraint("uq_posts_user", "posts", ["user_id"])
    op.drop_constraint("ck_posts_id", "posts", type_="check")
"#,
        ],
        None,
        &[
            "table posts (id not null, user_id)",
            "primary key on posts (id)",
            "foreign key fk_posts_user on posts (user_id) -> users (id)",
            "unique uq_posts_user on posts (user_id)",
            "table users (id not null, email not null, name)",
            "primary key on users (id)",
        ],
    ),
    (
        "rename_table follows the foreign keys that name it",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    op.create_table("posts", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")))
    op.rename_table("users", "accounts")
"#,
        ],
        None,
        &[
            "table accounts (id not null, email not null, name)",
            "primary key on accounts (id)",
            "table posts (id not null, user_id)",
            "foreign key  on posts (user_id) -> accounts (id)",
            "primary key on posts (id)",
        ],
    ),
    (
        "batch_alter_table operations apply to its table",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("age", sa.Integer()))
        batch_op.drop_column("name")
"#,
        ],
        None,
        &[
            "table users (id not null, email not null, age)",
            "primary key on users (id)",
        ],
    ),
    (
        "a computed drop_constraint is opaque on its table only",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    name = get_name()
    op.drop_constraint(name, "users")
"#,
        ],
        None,
        &[
            "table users (id not null, email not null, name)",
            "primary key on users (id)",
            "opaque IndexesAndConstraints on users",
        ],
    ),
    (
        "a computed table name in create_table adds nothing known",
        &[r#"
def upgrade():
    op.create_table(make_name(), sa.Column("id", sa.Integer()))
"#],
        None,
        &[],
    ),
    (
        "raw SQL naming its table relaxes it",
        &[
            CREATE_USERS,
            r#"
def upgrade():
    op.execute("UPDATE users SET name = 'x'")
    op.execute("ALTER TABLE users ADD COLUMN nickname text")
"#,
        ],
        None,
        &[
            "table users (id not null, email not null, name)",
            "primary key on users (id)",
            "relaxed users",
        ],
    ),
    (
        "the module's own helpers are inlined",
        &[r#"
def _table(name):
    op.create_table(name, sa.Column("id", sa.Integer(), primary_key=True))

def upgrade():
    _table("a")
    _table("b")
"#],
        None,
        &[
            "table a (id not null)",
            "primary key on a (id)",
            "table b (id not null)",
            "primary key on b (id)",
        ],
    ),
];

#[test]
fn revisions_become_the_schema_they_leave() {
    let mut wrong = Vec::new();
    for (name, sources, engine, want) in CASES {
        let got = run(sources, *engine);
        if got != *want {
            wrong.push(format!("{name}:\n  want {want:#?}\n  got  {got:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
