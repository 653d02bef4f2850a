"""The real Helm engine (helm-python-sdk) for tests/chart.rs.

    helm.py lint CHART VALUES_JSON [KUBE_VERSION]   -> the lint report (JSON)
    helm.py render CHART VALUES_JSON NAMESPACE      -> {"files": {template: text}, "objects": [...]} (JSON)
    helm.py schema-error CHART VALUES_JSON          -> the values-schema error, or "" when the values pass
"""

import json
import sys

import helm_python as helm
import yaml


def main() -> None:
    command, chart, values = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if command == "lint":
        kube = sys.argv[4] if len(sys.argv) > 4 else None
        print(json.dumps(helm.lint(chart, values, strict=True, namespace="preflight-system", kube_version=kube)))
    elif command == "render":
        with helm.Chart.load(chart) as c:
            files = c.render(values, name="preflight", namespace=sys.argv[4], is_install=True)
        objects = []
        for name, text in sorted(files.items()):
            if name.endswith("NOTES.txt"):
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    objects.append({"template": name, "object": doc})
        print(json.dumps({"files": files, "objects": objects}))
    elif command == "schema-error":
        with helm.Chart.load(chart) as c:
            try:
                c.validate_schema(values)
                print(json.dumps(""))
            except helm.HelmValuesError as e:
                print(json.dumps(str(e)))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
