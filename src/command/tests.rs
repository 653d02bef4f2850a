use super::*;

fn shell(src: &str) -> Vec<Invocation> {
    analyze(
        &CommandText::Shell(Word::literal(src, 0)),
        &crate::tools::Registry,
    )
}

fn argv(items: &[&str]) -> Vec<Invocation> {
    // Lay the items out as `item item item` so spans are checkable.
    let mut words = Vec::new();
    let mut at = 0;
    for it in items {
        words.push(Word::literal(it, at));
        at += it.len() + 1;
    }
    analyze(&CommandText::Argv(words), &crate::tools::Registry)
}

fn programs(invs: &[Invocation]) -> Vec<(String, Vec<String>)> {
    invs.iter()
        .map(|i| {
            (
                i.program.clone(),
                i.args.iter().map(|w| w.text.clone()).collect(),
            )
        })
        .collect()
}

fn one(invs: &[Invocation], program: &str) -> Invocation {
    invs.iter()
        .find(|i| i.program == program)
        .cloned()
        .unwrap_or_else(|| panic!("no `{program}` in {:?}", programs(invs)))
}

#[test]
fn sh_c_inside_a_quoted_string_is_unwrapped_with_exact_spans() {
    let src = r#"sh -c "cd /app && python -m alembic -c alembic.ini stamp head""#;
    let invs = shell(src);
    assert_eq!(invs.len(), 2);
    let alembic = one(&invs, "alembic");
    assert_eq!(
        alembic.arg_texts().collect::<Vec<_>>(),
        ["-c", "alembic.ini", "stamp", "head"]
    );
    assert_eq!(
        &src[alembic.span.clone()],
        "python -m alembic -c alembic.ini stamp head"
    );
    assert_eq!(
        alembic.display,
        "python -m alembic -c alembic.ini stamp head"
    );
    assert_eq!(alembic.via, ["sh -c", "python -m"]);
    assert_eq!(alembic.link, Link::And);
}

#[test]
fn kubernetes_command_and_args_with_sh_c() {
    let invs = argv(&["sh", "-c", "alembic upgrade head && exec gunicorn app:app"]);
    assert_eq!(
        programs(&invs),
        [
            (
                "alembic".to_string(),
                vec!["upgrade".to_string(), "head".to_string()]
            ),
            ("gunicorn".to_string(), vec!["app:app".to_string()]),
        ]
    );
    // Span of the inner command points into the third array item.
    assert_eq!(invs[0].span, 6..26);
}

#[test]
fn bash_flags_set_errexit_and_pipefail() {
    let invs = shell("bash -euo pipefail -c 'alembic upgrade head | tee log'");
    let a = one(&invs, "alembic");
    assert!(a.errexit && a.pipefail);
    let invs = shell("bash -lc 'alembic upgrade head'");
    assert!(!one(&invs, "alembic").errexit);
    let invs = shell("set -e\nalembic upgrade head\nset +e\nrails db:migrate");
    assert!(one(&invs, "alembic").errexit);
    assert!(!one(&invs, "rails").errexit);
}

#[test]
fn env_and_assignments_are_collected() {
    let invs = shell("env -i FLASK_APP=app PATH=/bin flask db stamp head");
    let f = one(&invs, "flask");
    assert_eq!(f.env_var("FLASK_APP"), Some("app"));
    let invs = shell("DISABLE_DATABASE_ENVIRONMENT_CHECK=1 bin/rails db:reset");
    assert_eq!(
        one(&invs, "rails").env_var("DISABLE_DATABASE_ENVIRONMENT_CHECK"),
        Some("1")
    );
}

// Long on purpose: a table of launcher spellings and what they unwrap to.
#[test]
fn launchers_are_unwrapped() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("exec alembic upgrade head", "alembic", &["upgrade", "head"]),
        (
            "poetry run alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "uv run --frozen --with psycopg alembic stamp head",
            "alembic",
            &["stamp", "head"],
        ),
        (
            "pipenv run python manage.py migrate --fake",
            "manage.py",
            &["migrate", "--fake"],
        ),
        (
            "python3.12 -u -W ignore manage.py migrate",
            "manage.py",
            &["migrate"],
        ),
        (
            "python -m django migrate --fake-initial",
            "django-admin",
            &["migrate", "--fake-initial"],
        ),
        (
            "python -malembic.config upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        ("bundle exec rake db:migrate", "rake", &["db:migrate"]),
        (
            "npx --yes prisma@5.22.0 migrate deploy",
            "prisma",
            &["migrate", "deploy"],
        ),
        (
            "npx -p typeorm typeorm migration:run",
            "typeorm",
            &["migration:run"],
        ),
        ("yarn knex migrate:latest", "knex", &["migrate:latest"]),
        (
            "pnpm exec sequelize-cli db:migrate",
            "sequelize-cli",
            &["db:migrate"],
        ),
        ("npm exec -- node-pg-migrate up", "node-pg-migrate", &["up"]),
        (
            "php artisan migrate --force",
            "artisan",
            &["migrate", "--force"],
        ),
        (
            "php /var/www/html/artisan migrate:fresh",
            "artisan",
            &["migrate:fresh"],
        ),
        (
            "dotnet ef database update",
            "dotnet-ef",
            &["database", "update"],
        ),
        (
            "/app/.venv/bin/alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "timeout 300 alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "gosu app alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "wait-for-it db:5432 -- alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "doppler run -- alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "node ./node_modules/typeorm/cli.js migration:run -d ds.js",
            "typeorm",
            &["migration:run", "-d", "ds.js"],
        ),
        (
            "docker compose run --rm -e X=1 web alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "kubectl exec -it deploy/api -- python manage.py migrate",
            "manage.py",
            &["migrate"],
        ),
        ("busybox sh -c 'dbmate up'", "dbmate", &["up"]),
        ("nice -n 10 ionice -c 3 goose up", "goose", &["up"]),
        // Commands run on another machine from a deploy job.
        (
            "ssh -i key -o StrictHostKeyChecking=no deploy@app 'cd /srv && alembic stamp head'",
            "alembic",
            &["stamp", "head"],
        ),
        (
            "ssh -p 2222 app alembic upgrade head",
            "alembic",
            &["upgrade", "head"],
        ),
        (
            "heroku run -a shop python manage.py migrate --fake",
            "manage.py",
            &["migrate", "--fake"],
        ),
        (
            "heroku run:detached -- bin/rails db:migrate",
            "rails",
            &["db:migrate"],
        ),
        (
            "flyctl ssh console -a shop -C 'bin/rails db:schema:load'",
            "rails",
            &["db:schema:load"],
        ),
    ];
    for (src, program, args) in cases {
        let invs = shell(src);
        let inv = one(&invs, program);
        assert_eq!(inv.arg_texts().collect::<Vec<_>>(), *args, "{src}");
    }
}

#[test]
fn mentions_are_not_invocations() {
    for src in [
        "echo alembic stamp head",
        "echo \"run alembic stamp head by hand\"",
        "printf '%s\\n' 'alembic stamp head'",
        "grep -r 'alembic stamp' .",
        "# alembic stamp head",
        "cat <<EOF\nalembic stamp head\nEOF",
        "command -v alembic",
    ] {
        let invs = shell(src);
        assert!(
            invs.iter().all(|i| i.program != "alembic"),
            "{src}: {:?}",
            programs(&invs)
        );
    }
}

#[test]
fn shells_reading_a_heredoc_run_it() {
    let invs = shell("bash <<'EOF'\nset -e\nalembic stamp head\nEOF\n");
    let a = one(&invs, "alembic");
    assert!(a.errexit);
    assert_eq!(a.arg_texts().collect::<Vec<_>>(), ["stamp", "head"]);
}

#[test]
fn npm_run_names_the_script() {
    let invs = shell("npm run migrate:prod -- --env production");
    let i = one(&invs, "npm-run");
    assert_eq!(i.args[0].text, "migrate:prod");
}

#[test]
fn npm_scripts_named_after_a_tool_pass_arguments_after_dashdash() {
    let invs = shell("npm run typeorm -- migration:run -d dist/ds.js --fake");
    let t = one(&invs, "typeorm");
    assert_eq!(
        t.arg_texts().collect::<Vec<_>>(),
        ["migration:run", "-d", "dist/ds.js", "--fake"]
    );
}

#[test]
fn substitutions_run_and_are_marked() {
    let invs = shell("echo \"$(alembic stamp head)\"");
    let a = one(&invs, "alembic");
    assert!(a.substituted);
}

#[test]
fn nested_sh_c_keeps_the_outer_link_and_branch() {
    let invs = shell("alembic upgrade head || sh -c 'alembic stamp head'");
    assert_eq!(invs[1].link, Link::Or);
    assert_eq!(invs[1].via, ["sh -c"]);
}

#[test]
fn deep_nesting_is_bounded() {
    // Linear-size nesting that goes far deeper than MAX_NESTING.
    let src = format!(
        "{}alembic stamp head{}",
        "echo $(".repeat(500),
        ")".repeat(500)
    );
    let invs = shell(&src);
    assert!(invs.iter().all(|i| i.program == "echo"));
    let src = format!(
        "{}alembic stamp head{}",
        "sh -c \"$(".repeat(200),
        ")\"".repeat(200)
    );
    let _ = shell(&src);
}

#[test]
fn shell_join_quotes_only_when_needed() {
    assert_eq!(
        shell_join(["alembic", "-x", "a b", "it's", "$HOME"]),
        r#"alembic -x 'a b' "it's" $HOME"#
    );
}

#[test]
fn option_helpers() {
    let inv = &shell("flyway -url=jdbc:x -baselineOnMigrate=true --config conf.toml migrate")[0];
    assert_eq!(inv.flag_value(&["-baselineOnMigrate"]), Some("true"));
    assert_eq!(inv.flag_value(&["--config"]), Some("conf.toml"));
    let pos: Vec<&str> = inv
        .positionals(&["--config"])
        .iter()
        .map(|w| w.text.as_str())
        .collect();
    assert_eq!(pos, ["migrate"]);
}
