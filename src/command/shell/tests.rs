use super::*;

fn words(cmd: &SimpleCommand) -> Vec<&str> {
    cmd.words.iter().map(|w| w.text.as_str()).collect()
}

fn commands(src: &str) -> Vec<Vec<String>> {
    parse(src)
        .commands
        .iter()
        .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
        .collect()
}

#[test]
fn splits_lists_and_keeps_links() {
    let s =
        parse("cd /app && alembic upgrade head || alembic stamp head; echo done | tee log & wait");
    let links: Vec<Link> = s.commands.iter().map(|c| c.link).collect();
    assert_eq!(
        links,
        [
            Link::First,
            Link::And,
            Link::Or,
            Link::Seq,
            Link::Pipe,
            Link::Background
        ]
    );
    assert_eq!(words(&s.commands[2]), ["alembic", "stamp", "head"]);
}

#[test]
fn removes_quotes_and_keeps_source_spans() {
    let src = r#"python -m "alembic" -c 'alembic.ini' st"am"p head"#;
    let s = parse(src);
    let cmd = &s.commands[0];
    assert_eq!(
        words(cmd),
        [
            "python",
            "-m",
            "alembic",
            "-c",
            "alembic.ini",
            "stamp",
            "head"
        ]
    );
    let stamp = &cmd.words[5];
    assert_eq!(&src[stamp.span.clone()], r#"st"am"p"#);
    assert_eq!(&src[stamp.source_range(2..4)], "am");
}

#[test]
fn comments_and_quoted_mentions_are_not_commands() {
    let s = parse("# alembic stamp head\necho \"alembic stamp head\" # stamp\ngrep 'stamp' log");
    assert_eq!(
        commands_of(&s),
        [
            vec!["echo", "alembic stamp head"],
            vec!["grep", "stamp", "log"]
        ]
    );
}

fn commands_of(s: &Script) -> Vec<Vec<&str>> {
    s.commands.iter().map(words).collect()
}

#[test]
fn heredoc_bodies_are_not_commands_but_are_kept() {
    let src = "cat <<'EOF' > notes.txt\nalembic stamp head\nEOF\nalembic upgrade head\n";
    let s = parse(src);
    assert_eq!(
        commands_of(&s),
        [vec!["cat"], vec!["alembic", "upgrade", "head"]]
    );
    assert_eq!(s.commands[0].heredocs[0].body.text, "alembic stamp head\n");
    let body = &s.commands[0].heredocs[0].body;
    assert_eq!(&src[body.span.clone()], "alembic stamp head\n");
}

#[test]
fn heredoc_with_dash_strips_tabs_from_the_delimiter() {
    let s = parse("sh <<-END\n\tflask db stamp head\n\tEND\necho after");
    assert_eq!(commands_of(&s), [vec!["sh"], vec!["echo", "after"]]);
    assert_eq!(
        s.commands[0].heredocs[0].body.text,
        "\tflask db stamp head\n"
    );
}

#[test]
fn assignments_prefix_commands() {
    let s = parse("FLASK_APP=app FLASK_ENV=production flask db stamp head");
    let cmd = &s.commands[0];
    assert_eq!(cmd.assignments.len(), 2);
    assert_eq!(words(cmd), ["flask", "db", "stamp", "head"]);
    // After the command name, NAME=value is an argument.
    let s = parse("rake db:migrate VERSION=0");
    assert_eq!(words(&s.commands[0]), ["rake", "db:migrate", "VERSION=0"]);
}

#[test]
fn if_branches_are_tracked() {
    let s = parse(
        "if ! alembic upgrade head; then\n  alembic stamp head\nelse\n  echo ok\nfi\ngunicorn app",
    );
    let c = &s.commands;
    assert!(matches!(c[0].branch, Branch::IfCondition(_)) && c[0].negated);
    let id = match c[0].branch {
        Branch::IfCondition(id) => id,
        _ => unreachable!(),
    };
    assert_eq!(c[1].branch, Branch::Then(id));
    assert_eq!(c[2].branch, Branch::Else(id));
    assert_eq!(c[3].branch, Branch::Plain);
}

#[test]
fn redirections_are_not_arguments() {
    let s = parse("alembic upgrade head 2>&1 >> /var/log/migrate.log < /dev/null");
    assert_eq!(words(&s.commands[0]), ["alembic", "upgrade", "head"]);
    let s = parse("python manage.py migrate &>/tmp/out");
    assert_eq!(words(&s.commands[0]), ["python", "manage.py", "migrate"]);
}

#[test]
fn command_substitutions_are_parsed_as_scripts() {
    let src = "echo \"now at $(alembic current)\" `alembic stamp head`";
    let s = parse(src);
    let subs = &s.commands[0].substitutions;
    assert_eq!(subs.len(), 2);
    assert_eq!(words(&subs[0].commands[0]), ["alembic", "current"]);
    let stamp = &subs[1].commands[0].words[1];
    assert_eq!(&src[stamp.span.clone()], "stamp");
}

#[test]
fn loops_case_and_functions_do_not_swallow_commands() {
    let c = commands("for i in 1 2 3; do alembic upgrade head && break; sleep 5; done");
    assert_eq!(
        c,
        [
            vec!["alembic", "upgrade", "head"],
            vec!["break"],
            vec!["sleep", "5"]
        ]
    );
    let c =
        commands("case \"$1\" in\n  migrate) alembic upgrade head ;;\n  *) exec \"$@\" ;;\nesac");
    assert_eq!(c, [vec!["alembic", "upgrade", "head"], vec!["exec", "$@"]]);
    let s = parse("migrate() { alembic upgrade head; }\nmigrate");
    assert_eq!(s.commands[0].branch, Branch::Function);
    assert_eq!(words(&s.commands[1]), ["migrate"]);
}

#[test]
fn line_continuations_join_words() {
    let c = commands("python -m alembic \\\n  -c alembic.ini \\\n  upgrade head");
    assert_eq!(
        c,
        [vec![
            "python",
            "-m",
            "alembic",
            "-c",
            "alembic.ini",
            "upgrade",
            "head"
        ]]
    );
}

#[test]
fn ansi_c_quotes_and_expansions() {
    let s = parse("echo $'a\\tb' ${HOME}/x $VAR");
    let w = &s.commands[0].words;
    assert_eq!(w[1].text, "a\tb");
    assert!(w[2].dynamic && w[3].dynamic);
}

#[test]
fn unterminated_input_degrades_instead_of_failing() {
    for src in [
        "alembic stamp \"head",
        "echo $(alembic",
        "cat <<EOF\nno end",
        "if true; then",
        "a ||",
        "`x",
        "${",
    ] {
        let s = parse(src);
        for cmd in &s.commands {
            for w in &cmd.words {
                assert!(w.span.end <= src.len(), "{src:?}: {w:?}");
            }
        }
    }
    assert_eq!(
        words(&parse("alembic stamp \"head").commands[0]),
        ["alembic", "stamp", "head"]
    );
}

#[test]
fn arithmetic_and_subshells() {
    let s = parse("(cd app && alembic upgrade head) || exit 1; (( n = n + 1 ))");
    let c = commands_of(&s);
    assert_eq!(
        c,
        [
            vec!["cd", "app"],
            vec!["alembic", "upgrade", "head"],
            vec!["exit", "1"]
        ]
    );
    assert_eq!(s.commands[2].link, Link::Or);
}
