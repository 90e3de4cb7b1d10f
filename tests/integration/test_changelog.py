"""`antsibull-changelog release` turns the fragments into the release's changelog, in a throwaway
copy of the collection (the checkout keeps its fragments until the release is cut).

New modules, plugins and roles are announced by the generator from their `version_added`
(modules' and plugins' DOCUMENTATION, a role's meta/argument_specs.yml entry point `main`).
A fragment announces only what the generator cannot see (`add object.role` for a role without
an argument spec, `add plugin.filter` for an undocumented filter), never the same thing again.
What is expected is read from plugins/ and roles/ when the test runs, so content added later is
held to the same rule without editing this file.
"""
import collections
import importlib
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

from conftest import REPO, ansible_env

BIN = pathlib.Path(sys.executable).parent
COLLECTION = "aiven_tools.prometheus"
PLUGIN_PACKAGE = "ansible_collections.aiven_tools.prometheus.plugins"
# Fragment text that announces content the generator lists itself.
ANNOUNCEMENT = re.compile(r"\bnew (modules?|plugins?|lookups?|filters?|tests?|roles?)\b", re.IGNORECASE)


def _stems(directory):
    return sorted(p.stem for p in directory.glob("*.py") if not p.name.startswith("_"))


def _jinja2_plugin_names(kind, holder):
    """Names of the filters (or tests) the collection's plugin files define, as Ansible loads
    them: one file can hold several."""
    names = []
    for stem in _stems(REPO / "plugins" / kind):
        plugin = importlib.import_module("%s.%s.%s" % (PLUGIN_PACKAGE, kind, stem))
        names.extend(getattr(plugin, holder)().filters() if kind == "filter" else getattr(plugin, holder)().tests())
    return sorted(names)


def expected_content():
    """{release key: names}: what the first release must list, each exactly once."""
    return {
        "module": _stems(REPO / "plugins" / "modules"),
        "lookup": _stems(REPO / "plugins" / "lookup"),
        "filter": _jinja2_plugin_names("filter", "FilterModule"),
        "test": _jinja2_plugin_names("test", "TestModule"),
        "role": sorted(p.name for p in (REPO / "roles").iterdir() if p.is_dir()),
    }


def listed_content(release):
    plugins = release.get("plugins") or {}
    listed = {"module": [m["name"] for m in release.get("modules") or []],
              "role": [r["name"] for r in (release.get("objects") or {}).get("role") or []]}
    for kind in ("lookup", "filter", "test"):
        listed[kind] = [p["name"] for p in plugins.get(kind) or []]
    return {kind: sorted(names) for kind, names in listed.items()}


def _md(text):
    """How antsibull-changelog's markdown escapes punctuation."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!:'\"=,<>|~])", r"\\\1", text)


def test_release_builds_changelog_from_fragments(tmp_path):
    root = tmp_path / "ansible_collections" / "aiven_tools" / "prometheus"
    root.mkdir(parents=True)
    shutil.copy(str(REPO / "galaxy.yml"), str(root))
    for sub in ("changelogs", "meta", "plugins", "roles"):
        if (REPO / sub).is_dir():
            shutil.copytree(str(REPO / sub), str(root / sub),
                            ignore=shutil.ignore_patterns("__pycache__", ".plugin-cache.yaml"))
    fragments = sorted(p.name for p in (root / "changelogs" / "fragments").glob("*.yml"))
    assert fragments, "no changelog fragment"
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    released = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())["releases"] or {}
    assert version not in released, "galaxy.yml's version %s is released already: bump it" % version
    expected = expected_content()

    env = ansible_env(tmp_path, ANSIBLE_COLLECTIONS_PATH=str(tmp_path))
    lint = subprocess.run([str(BIN / "antsibull-changelog"), "lint"], cwd=str(root), env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout + lint.stderr
    proc = subprocess.run([str(BIN / "antsibull-changelog"), "release"], cwd=str(root), env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # "Ignore adding role object X from changelog fragment": a fragment repeats the generator.
    assert "Ignore adding" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr

    release = yaml.safe_load((root / "changelogs" / "changelog.yaml").read_text())["releases"][version]
    assert sorted(release["fragments"]) == fragments
    assert list((root / "changelogs" / "fragments").glob("*.yml")) == []
    assert release["changes"]["release_summary"]

    listed = listed_content(release)
    for kind, names in expected.items():
        assert listed[kind] == names, (
            "%s: the release lists %s, the collection has %s. Everything is new in %s (galaxy.yml's "
            "version, not released yet): modules and documented plugins need `version_added: %s`; a role "
            "needs it in meta/argument_specs.yml's entry point `main`, or, without an argument spec, an "
            "`add object.role` fragment; an undocumented filter an `add plugin.filter` fragment"
            % (kind, listed[kind], names, version, version))

    # Fragments say what changed; they do not announce what the generator lists.
    listed_names = set(name for names in expected.values() for name in names)
    for section, entries in release["changes"].items():
        if section == "release_summary":
            continue
        for entry in entries:
            mentioned = sorted(n for n in listed_names if re.search(r"\b%s\b" % re.escape(n), entry))
            assert not (ANNOUNCEMENT.search(entry) and mentioned), (
                "a %s fragment entry announces %s, which the changelog already lists: %r"
                % (section, ", ".join(mentioned), entry))

    text = (root / "CHANGELOG.md").read_text()
    assert "## v%s" % _md(version) in text
    # Once per kind: a module and a lookup may share a name (project_integration).
    kinds_of = collections.Counter(name for names in expected.values() for name in names)
    for name, kinds in sorted(kinds_of.items()):
        line = "* %s \\- " % _md("%s.%s" % (COLLECTION, name))
        assert text.count(line) == kinds, "%s is listed %d times in CHANGELOG.md, not %d" % (name, text.count(line), kinds)
