//! The shadow database's address in each ecosystem's spelling: the URL
//! dj-database-url, Rails or knex read, SQLAlchemy's dialect URLs, Go DSNs,
//! JDBC URLs with separate credentials, ADO.NET connection strings.

use crate::db::DatabaseUrl;
use crate::schema::Engine;

/// The parts of a server URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parts {
    pub user: String,
    pub password: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    /// The query string (`sslmode=require`), without `?`.
    pub query: String,
}

/// Splits a PostgreSQL or MySQL URL; SQLite has no parts.
pub fn parts(url: &DatabaseUrl) -> Option<Parts> {
    if url.engine() == Engine::Sqlite {
        return None;
    }
    let u = url::Url::parse(url.expose()).ok()?;
    let decode = |s: &str| percent_decode(s);
    Some(Parts {
        user: decode(u.username()),
        password: u.password().map(decode).unwrap_or_default(),
        host: u.host_str().unwrap_or("localhost").to_string(),
        port: u.port().unwrap_or(match url.engine() {
            Engine::Postgres => 5432,
            _ => 3306,
        }),
        database: u.path().trim_start_matches('/').to_string(),
        query: u.query().unwrap_or("").to_string(),
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The absolute path of a SQLite database.
pub fn sqlite_path(url: &DatabaseUrl) -> String {
    url.database()
}

/// `user:password@` (percent-encoded), or nothing.
fn userinfo(p: &Parts) -> String {
    let enc = |s: &str| {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    match (p.user.is_empty(), p.password.is_empty()) {
        (true, _) => String::new(),
        (false, true) => format!("{}@", enc(&p.user)),
        (false, false) => format!("{}:{}@", enc(&p.user), enc(&p.password)),
    }
}

/// `scheme://user:password@host:port/database?query`.
fn server_url(scheme: &str, p: &Parts) -> String {
    with_query(
        format!(
            "{scheme}://{}{}:{}/{}",
            userinfo(p),
            p.host,
            p.port,
            p.database
        ),
        &p.query,
    )
}

fn with_query(base: String, query: &str) -> String {
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}

/// The URL most frameworks read from `DATABASE_URL` (knex, Sequelize,
/// TypeORM, node-pg-migrate, Ecto): `postgres://`, `mysql://`,
/// `sqlite:///absolute/path`.
pub fn conventional(url: &DatabaseUrl) -> String {
    match parts(url) {
        Some(p) => server_url(scheme(url, "postgres", "mysql"), &p),
        None => format!("sqlite:///{}", sqlite_path(url).trim_start_matches('/')),
    }
}

/// dj-database-url and Laravel read SQLite paths after four slashes.
pub fn four_slash_sqlite(url: &DatabaseUrl) -> String {
    match url.engine() {
        Engine::Sqlite => format!("sqlite:///{}", sqlite_path(url)),
        _ => conventional(url),
    }
}

/// Rails reads `DATABASE_URL` with the adapter as the scheme.
pub fn rails(url: &DatabaseUrl) -> String {
    match parts(url) {
        Some(p) => server_url(scheme(url, "postgres", "mysql2"), &p),
        None => format!("sqlite3:{}", sqlite_path(url)),
    }
}

/// A SQLAlchemy URL; the Python side picks the installed driver.
pub fn sqlalchemy(url: &DatabaseUrl) -> String {
    match parts(url) {
        Some(p) => server_url(scheme(url, "postgresql", "mysql"), &p),
        None => format!("sqlite:///{}", sqlite_path(url)),
    }
}

/// golang-migrate's URL (`lib/pq` wants `sslmode`; MySQL a Go DSN after the scheme).
pub fn golang_migrate(url: &DatabaseUrl) -> String {
    match (url.engine(), parts(url)) {
        (Engine::Postgres, Some(p)) => {
            let q = if p.query.contains("sslmode=") {
                p.query.clone()
            } else if p.query.is_empty() {
                "sslmode=disable".into()
            } else {
                format!("{}&sslmode=disable", p.query)
            };
            with_query(
                format!(
                    "postgres://{}{}:{}/{}",
                    userinfo(&p),
                    p.host,
                    p.port,
                    p.database
                ),
                &q,
            )
        }
        (_, Some(p)) => format!("mysql://{}", go_mysql_dsn(&p)),
        (_, None) => format!("sqlite3://{}", sqlite_path(url)),
    }
}

/// go-sql-driver/mysql's DSN: `user:pass@tcp(host:port)/db`.
pub fn go_mysql_dsn(p: &Parts) -> String {
    let auth = match (p.user.is_empty(), p.password.is_empty()) {
        (true, _) => String::new(),
        (false, true) => format!("{}@", p.user),
        (false, false) => format!("{}:{}@", p.user, p.password),
    };
    format!("{auth}tcp({}:{})/{}", p.host, p.port, p.database)
}

/// goose's driver name and connection string.
pub fn goose(url: &DatabaseUrl) -> (&'static str, String) {
    match (url.engine(), parts(url)) {
        (Engine::Postgres, Some(p)) => (
            "postgres",
            with_query(
                format!(
                    "postgres://{}{}:{}/{}",
                    userinfo(&p),
                    p.host,
                    p.port,
                    p.database
                ),
                &p.query,
            ),
        ),
        (_, Some(p)) => ("mysql", format!("{}?parseTime=true", go_mysql_dsn(&p))),
        (_, None) => ("sqlite3", sqlite_path(url)),
    }
}

/// A JDBC URL without credentials, and the user and password (Flyway,
/// Liquibase). `mariadb` picks MariaDB's driver for a MariaDB server.
pub fn jdbc(url: &DatabaseUrl, mariadb: bool) -> (String, String, String) {
    match parts(url) {
        Some(p) => {
            let sub = match (url.engine(), mariadb) {
                (Engine::Postgres, _) => "postgresql",
                (_, true) => "mariadb",
                (_, false) => "mysql",
            };
            (
                with_query(
                    format!("jdbc:{sub}://{}:{}/{}", p.host, p.port, p.database),
                    &p.query,
                ),
                p.user,
                p.password,
            )
        }
        None => (
            format!("jdbc:sqlite:{}", sqlite_path(url)),
            String::new(),
            String::new(),
        ),
    }
}

/// An ADO.NET connection string as EF Core's providers read it.
pub fn ado_net(url: &DatabaseUrl) -> String {
    match (url.engine(), parts(url)) {
        (Engine::Postgres, Some(p)) => format!(
            "Host={};Port={};Database={};Username={};Password={}",
            p.host, p.port, p.database, p.user, p.password
        ),
        (_, Some(p)) => format!(
            "Server={};Port={};Database={};User={};Password={}",
            p.host, p.port, p.database, p.user, p.password
        ),
        (_, None) => format!("Data Source={}", sqlite_path(url)),
    }
}

fn scheme(url: &DatabaseUrl, postgres: &'static str, mysql: &'static str) -> &'static str {
    if url.engine() == Engine::Postgres {
        postgres
    } else {
        mysql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> DatabaseUrl {
        DatabaseUrl::parse(s).expect("url")
    }

    #[test]
    fn each_ecosystem_gets_its_spelling() {
        let pg = u("postgresql://app:p%40ss@db:5433/shadow_1?sslmode=require");
        assert_eq!(
            conventional(&pg),
            "postgres://app:p%40ss@db:5433/shadow_1?sslmode=require"
        );
        assert_eq!(
            sqlalchemy(&pg),
            "postgresql://app:p%40ss@db:5433/shadow_1?sslmode=require"
        );
        assert_eq!(
            jdbc(&pg, false),
            (
                "jdbc:postgresql://db:5433/shadow_1?sslmode=require".into(),
                "app".into(),
                "p@ss".into()
            )
        );
        assert_eq!(
            golang_migrate(&u("postgres://u@h/d")),
            "postgres://u@h:5432/d?sslmode=disable"
        );
        let my = u("mysql://root@127.0.0.1:3306/s");
        assert_eq!(rails(&my), "mysql2://root@127.0.0.1:3306/s");
        assert_eq!(
            goose(&my),
            ("mysql", "root@tcp(127.0.0.1:3306)/s?parseTime=true".into())
        );
        assert_eq!(golang_migrate(&my), "mysql://root@tcp(127.0.0.1:3306)/s");
        assert_eq!(jdbc(&my, true).0, "jdbc:mariadb://127.0.0.1:3306/s");
        let lite = u("sqlite:///tmp/x/shadow.db");
        assert_eq!(conventional(&lite), "sqlite:///tmp/x/shadow.db");
        assert_eq!(sqlalchemy(&lite), "sqlite:////tmp/x/shadow.db");
        assert_eq!(rails(&lite), "sqlite3:/tmp/x/shadow.db");
        assert_eq!(four_slash_sqlite(&lite), "sqlite:////tmp/x/shadow.db");
        assert_eq!(ado_net(&lite), "Data Source=/tmp/x/shadow.db");
    }
}
