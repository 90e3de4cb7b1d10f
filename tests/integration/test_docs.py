"""ansible-doc renders every module, lookup and filter and the role's argument spec, and every
EXAMPLES block is valid YAML whose tasks name modules (and lookups) by FQCN only."""
import json
import pathlib
import re

import pytest
import yaml

from ansible.playbook.block import Block
from ansible.playbook.task import Task

from conftest import AnsibleRunner

REPO = pathlib.Path(__file__).resolve().parents[2]
NS = "aiven_tools.prometheus."
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
LOOKUPS = sorted(p.stem for p in (REPO / "plugins" / "lookup").glob("*.py") if not p.stem.startswith("_"))
FILTERS = sorted(p.stem for p in (REPO / "plugins" / "filter").glob("*.py") if not p.stem.startswith("_"))
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if p.is_dir()) if (REPO / "roles").is_dir() else []

# Everything a task may hold besides its module: task and block keywords, loops.
TASK_KEYWORDS = set(Task.fattributes) | set(Block.fattributes) | {"local_action", "action"}


def ansible_doc(ansible, plugin_type, names):
    proc = ansible.run(["ansible-doc", "-t", plugin_type, "--json"] + [NS + n for n in names])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted(NS + n for n in names)
    return docs


def test_plugins_found():
    assert MODULES and LOOKUPS and FILTERS


@pytest.fixture(scope="module")
def plugin_docs(tmp_path_factory):
    runner = AnsibleRunner(tmp_path_factory.mktemp("ansible_doc"))
    docs = dict(ansible_doc(runner, "module", MODULES))
    docs.update(ansible_doc(runner, "lookup", LOOKUPS))
    docs.update(ansible_doc(runner, "filter", FILTERS))
    return docs


@pytest.mark.parametrize("name", MODULES + LOOKUPS + FILTERS)
def test_ansible_doc_renders(plugin_docs, name):
    doc = plugin_docs[NS + name]["doc"]
    assert doc["short_description"]
    assert doc["version_added"]
    assert doc["author"] == ["aiven_tools.prometheus developers (@aiven_tools)"]
    assert all(option.get("description") for option in doc.get("options", {}).values())
    assert plugin_docs[NS + name]["examples"].strip()


def _tasks(items):
    for item in items or []:
        assert isinstance(item, dict), item
        nested = [key for key in ("block", "rescue", "always") if key in item]
        if nested:
            for key in nested:
                yield from _tasks(item[key])
        else:
            yield item


def _module_of(task):
    modules = [key for key in task if key not in TASK_KEYWORDS and not key.startswith("with_")]
    assert len(modules) == 1, "task %r: module not found among %s" % (task.get("name"), sorted(task))
    return modules[0]


@pytest.mark.parametrize("name", MODULES + LOOKUPS + FILTERS)
def test_examples_are_yaml_with_fqcn_only(plugin_docs, name):
    examples = yaml.safe_load(plugin_docs[NS + name]["examples"])
    tasks = list(_tasks(examples))
    assert tasks
    used = set()
    for task in tasks:
        assert task.get("name"), task
        module = _module_of(task)
        assert re.match(r"^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$", module), "not an FQCN: %s" % module
        used.add(module)
        text = yaml.safe_dump(task)
        for plugin in re.findall(r"""(?:lookup|query|q)\(\s*['"]([^'"]+)['"]""", text):
            assert plugin.count(".") == 2, "lookup not by FQCN: %s" % plugin
    if name in MODULES:
        assert NS + name in used, "the examples never call %s" % name


@pytest.mark.skipif(not ROLES, reason="no role in roles/ yet")
def test_role_argument_spec_renders(ansible):
    missing = [r for r in ROLES if not (REPO / "roles" / r / "meta" / "argument_specs.yml").exists()]
    if missing:
        pytest.skip("roles without meta/argument_specs.yml yet (the role's author is writing it): %s"
                    % ", ".join(missing))
    proc = ansible.run(["ansible-doc", "-t", "role", "--json"] + [NS + r for r in ROLES])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = json.loads(proc.stdout)
    for role in ROLES:
        main = docs[NS + role]["entry_points"]["main"]
        assert main["short_description"]
        assert main.get("options"), "role %s documents no options" % role
        assert all(o.get("description") for o in main["options"].values())
