"""tandemctl in tests: running it, golden files for its human tables, and
checks of its --json output against docs/tandemctl.schema.json.

Golden files hold the exact output with the run's variable parts (the
temporary directory, ports) replaced by {NAMES}. TANDEM_UPDATE_GOLDEN=1
rewrites them from the current output (review the diff before committing)."""

import json
import os
from pathlib import Path

import jsonschema

from harness import SOURCE_DIR, binary, run

SCHEMA = json.loads((SOURCE_DIR / "docs" / "tandemctl.schema.json").read_text())


def ctl(*args, run_dir=None, env=None, timeout=30):
    """Runs tandemctl (with --run-dir when given); CompletedProcess, text output."""
    pre = ["--run-dir", run_dir] if run_dir is not None else []
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    return run([binary("tandemctl"), *pre, *args], env=e, timeout=timeout)


def check_schema(doc, definition):
    """Validates one --json document against a definition of the schema."""
    jsonschema.validate(doc, {"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]},
                        cls=jsonschema.Draft202012Validator)
    return doc


def ctl_json(*args, definition, run_dir=None, expect_rc=None):
    """tandemctl --json ...: the parsed document, validated against `definition`."""
    r = ctl("--json", *args, run_dir=run_dir)
    if expect_rc is not None:
        assert r.returncode == expect_rc, f"rc {r.returncode}\n{r.stdout}\n{r.stderr}"
    return check_schema(json.loads(r.stdout), definition)


def check_golden(golden_dir, name, text, subs=None):
    """Compares `text` (after replacing each literal of `subs` by its {NAME})
    with golden_dir/name.txt."""
    for literal, placeholder in (subs or {}).items():
        text = text.replace(str(literal), "{" + placeholder + "}")
    path = Path(golden_dir) / f"{name}.txt"
    if os.environ.get("TANDEM_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"no golden file {path} (run with TANDEM_UPDATE_GOLDEN=1 to create it)"
    expected = path.read_text()
    assert text == expected, f"output differs from {path}:\n--- expected\n{expected}--- got\n{text}"
