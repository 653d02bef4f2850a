//! Kubernetes manifests: Pods, Jobs, CronJobs and workload controllers, alone,
//! in multi-document streams or in `List` objects (`kubectl get -o yaml`).
//!
//! The phase comes from Helm (`helm.sh/hook`) and Argo CD
//! (`argocd.argoproj.io/hook`) hook annotations, then from the kind and the
//! container type. `command` + `args` are an argv run without a shell.

use super::read;
use crate::command::{CommandText, Word};
use crate::release_step::{EnvVar, Extracted, Phase, Problem, ReleaseStep};
use crate::yaml::{Node, Value};
use std::ops::Range;

/// Annotation that suppresses findings on an object: `<rule>[,<rule>]: <reason>`,
/// one directive per line.
pub const IGNORE_ANNOTATION: &str = "preflight.dev/ignore";

pub fn detect(root: &Node) -> bool {
    root.get("apiVersion").is_some() && root.get("kind").is_some()
}

pub fn extract(root: &Node, doc: &str) -> Extracted {
    extract_template(root, doc, &|_| None)
}

/// Which template expression a byte range of the document holds entirely
/// (`{{ .Values.migrate.command }}`), if any: a chart template read without
/// Helm. Commands that are expressions are reported as not judged.
pub type Templated<'a> = dyn Fn(Range<usize>) -> Option<(usize, String)> + 'a;

/// Like [`extract`], for a chart template read without rendering.
pub fn extract_template(root: &Node, doc: &str, templated: &Templated<'_>) -> Extracted {
    let mut out = Extracted::default();
    let ctx = Ctx { doc, templated };
    visit(root, &ctx, 0, &mut out);
    out
}

struct Ctx<'a> {
    doc: &'a str,
    templated: &'a Templated<'a>,
}

// Long on purpose: one match over the workload kinds Kubernetes has (Pod, Job, CronJob,
// Deployment-likes, List, Argo CD/Helm hooks), each arm a few lines of where its pod template lives.
fn visit(obj: &Node, ctx: &Ctx<'_>, depth: usize, out: &mut Extracted) {
    let Some(kind) = obj.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind == "List" || kind.ends_with("List") {
        if depth < 4 {
            for item in read::list_field(obj, "items", "the List", &mut out.problems) {
                visit(item, ctx, depth + 1, out);
            }
        }
        return;
    }
    let pod_spec_path: &[&str] = match kind {
        "Pod" => &["spec"],
        "Job"
        | "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Rollout" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "PodTemplate" => &["template", "spec"],
        _ => return,
    };
    let Some(pod_spec) = obj.path(pod_spec_path) else {
        return;
    };
    let metadata = obj.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name").and_then(Node::as_str))
        .map(str::to_owned)
        .or_else(|| {
            metadata
                .and_then(|m| m.get("generateName").and_then(Node::as_str))
                .map(|g| format!("{g}…"))
        })
        .unwrap_or_else(|| "(unnamed)".into());
    let namespace = metadata.and_then(|m| m.get("namespace").and_then(Node::as_str));
    let annotations = metadata.and_then(|m| m.get("annotations"));
    let hook = annotations.and_then(hook_phase);

    // Suppressions on the object and on its pod template.
    let template_meta = match kind {
        "CronJob" => obj.path(&["spec", "jobTemplate", "spec", "template", "metadata"]),
        "Pod" => None,
        _ => obj.path(&["spec", "template", "metadata"]),
    };
    let mut directives = Vec::new();
    for ann in [
        annotations,
        template_meta.and_then(|m| m.get("annotations")),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(v) = ann.get(IGNORE_ANNOTATION)
            && let Some(text) = v.as_str()
        {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                directives.push((line.trim().to_owned(), v.span.start));
            }
        }
    }

    if hook == Some(None) {
        return; // Argo CD `Skip`: never applied
    }
    let hook = hook.flatten();
    let base = match kind {
        "Pod" | "Job" => Phase::Job,
        "CronJob" => Phase::Scheduled,
        _ => Phase::Startup,
    };
    let ns_key = namespace.map(|n| format!("{n}/")).unwrap_or_default();
    for (key, label) in [
        ("initContainers", "init container"),
        ("containers", "container"),
    ] {
        let what = format!("{kind} `{name}`");
        for container in read::list_field(pod_spec, key, &what, &mut out.problems) {
            if !read::is_object(
                container,
                &format!("a {label} of {what}"),
                &mut out.problems,
            ) {
                continue;
            }
            let phase = match (hook, key) {
                (Some(h), _) => h,
                (None, "initContainers") if base == Phase::Startup => Phase::Init,
                (None, _) => base,
            };
            let cname = container
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("(unnamed)");
            let object = format!("{kind} `{name}`, {label} `{cname}`");
            let problems_before = out.problems.len();
            let command = match container_command(container, ctx, &object, &mut out.problems) {
                Ok(c) => c,
                Err((at, expr)) => {
                    out.not_judged.push(Problem {
                        message: format!(
                            "{object} {}: its command is the template expression `{expr}`, known only when the chart is rendered",
                            "is not judged"
                        ),
                        at,
                    });
                    continue;
                }
            };
            let Some(command) = command else {
                if hook.is_some() && key == "containers" && out.problems.len() == problems_before {
                    // A hook Job that runs its image's default command.
                    out.steps.push(step(
                        phase,
                        &object,
                        format!("{kind}/{ns_key}{name}/{cname}"),
                        None,
                        container.span.start,
                        Vec::new(),
                        &directives,
                    ));
                }
                continue;
            };
            let env = read::env_list(
                read::list_field(container, "env", &object, &mut out.problems),
                "name",
            );
            let at = container.span.start;
            out.steps.push(step(
                phase,
                &object,
                format!("{kind}/{ns_key}{name}/{cname}"),
                Some(command),
                at,
                env,
                &directives,
            ));
        }
    }
}

fn step(
    phase: Phase,
    object: &str,
    object_key: String,
    command: Option<CommandText>,
    at: usize,
    env: Vec<EnvVar>,
    directives: &[(String, usize)],
) -> ReleaseStep {
    ReleaseStep {
        phase,
        object: object.to_owned(),
        object_key,
        command,
        at,
        env,
        directives: directives.to_vec(),
        app: None,
        failure_ignored: None,
    }
}

/// `Some(Some(phase))` for a hook, `Some(None)` for Argo CD's `Skip`, `None`
/// when the object is not a hook.
fn hook_phase(annotations: &Node) -> Option<Option<Phase>> {
    hook_phase_of(
        annotations.get("helm.sh/hook").and_then(Node::as_str),
        annotations
            .get("argocd.argoproj.io/hook")
            .and_then(Node::as_str),
    )
}

/// The phase of Helm and Argo CD hook annotation values (see [`hook_phase`]).
pub(crate) fn hook_phase_of(helm: Option<&str>, argo: Option<&str>) -> Option<Option<Phase>> {
    if let Some(helm) = helm {
        let hooks: Vec<&str> = helm.split(',').map(str::trim).collect();
        let has = |h: &str| hooks.contains(&h);
        let phase = if has("pre-upgrade") {
            Phase::PreDeploy
        } else if has("post-upgrade") {
            Phase::PostDeploy
        } else if has("pre-install") || has("post-install") {
            Phase::Install
        } else if has("pre-rollback") || has("post-rollback") {
            Phase::Rollback
        } else if has("pre-delete") || has("post-delete") {
            Phase::Delete
        } else if has("test") || has("test-success") || has("test-failure") {
            Phase::Test
        } else {
            return None;
        };
        return Some(Some(phase));
    }
    let argo = argo?;
    let hooks: Vec<&str> = argo.split(',').map(str::trim).collect();
    let has = |h: &str| hooks.contains(&h);
    Some(if has("PreSync") {
        Some(Phase::PreDeploy)
    } else if has("Sync") {
        Some(Phase::Sync)
    } else if has("PostSync") {
        Some(Phase::PostDeploy)
    } else if has("SyncFail") {
        Some(Phase::FailedDeploy)
    } else if has("PreDelete") || has("PostDelete") {
        Some(Phase::Delete)
    } else if has("Skip") {
        None
    } else {
        return None;
    })
}

/// The program of an image whose entrypoint is a migration tool, so `args`
/// alone are its arguments.
pub(crate) fn image_tool(image: &str) -> Option<&'static str> {
    crate::tools::image_program(image)
}

/// The container's command; `Err` with the expression's offset and text when
/// it is a template expression.
fn container_command(
    container: &Node,
    ctx: &Ctx<'_>,
    object: &str,
    problems: &mut Vec<Problem>,
) -> Result<Option<CommandText>, (usize, String)> {
    let command = argv_field(container, "command", object, ctx, problems)?;
    let args = argv_field(container, "args", object, ctx, problems)?;
    Ok(match (command, args) {
        (None, None) => None,
        (Some(mut c), a) => {
            c.extend(a.unwrap_or_default());
            (!c.is_empty()).then_some(CommandText::Argv(c))
        }
        (None, Some(a)) => {
            // Only args: the image's entrypoint receives them. For images whose
            // entrypoint is a migration tool the tool is known; otherwise the
            // args are read as a command (`entrypoint.sh "$@"` is the norm).
            let image = container.get("image");
            match image.and_then(Node::as_str).and_then(image_tool) {
                Some(tool) => {
                    let at = image.map_or(container.span.start, |i| i.span.start);
                    let mut argv = vec![Word::literal(tool, at)];
                    // The synthetic word points at the image, but has no text there.
                    argv[0].span = at..at + image.and_then(Node::as_str).map_or(0, str::len);
                    argv.extend(a);
                    Some(CommandText::Argv(argv))
                }
                None => (!a.is_empty()).then_some(CommandText::Argv(a)),
            }
        }
    })
}

fn argv_field(
    container: &Node,
    key: &str,
    object: &str,
    ctx: &Ctx<'_>,
    problems: &mut Vec<Problem>,
) -> Result<Option<Vec<Word>>, (usize, String)> {
    let doc = ctx.doc;
    let Some(v) = container.get(key) else {
        return Ok(None);
    };
    if v.is_null() {
        return Ok(None);
    }
    if let Some(t) = (ctx.templated)(v.span.clone()) {
        return Err(t);
    }
    if let Some(t) = v
        .as_seq()
        .and_then(|items| items.iter().find_map(|i| (ctx.templated)(i.span.clone())))
    {
        return Err(t);
    }
    let Some(items) = v.as_seq() else {
        let hint = if matches!(v.value, Value::Scalar(..)) {
            " (Kubernetes rejects a string here; write `[\"sh\", \"-c\", \"…\"]`)"
        } else {
            ""
        };
        problems.push(Problem {
            message: format!(
                "`{key}` of {object} must be a list of strings, found {}{hint}",
                v.type_name()
            ),
            at: v.span.start,
        });
        return Ok(None);
    };
    let mut words = Vec::with_capacity(items.len());
    for item in items {
        match &item.value {
            Value::Scalar(text, _) => {
                words.push(crate::yaml::align_word(text, doc, item.span.clone()))
            }
            _ => {
                problems.push(Problem {
                    message: format!(
                        "`{key}` of {object} must be a list of strings, found {} in it",
                        item.type_name()
                    ),
                    at: item.span.start,
                });
                return Ok(None);
            }
        }
    }
    Ok(Some(words))
}
