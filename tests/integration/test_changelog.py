"""`antsibull-changelog release` turns the fragments into the release's changelog, in a throwaway
copy of the collection (the checkout keeps its fragments until the release is cut)."""
import pathlib
import shutil
import subprocess
import sys

import yaml

from conftest import REPO, ansible_env

BIN = pathlib.Path(sys.executable).parent


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

    env = ansible_env(tmp_path, ANSIBLE_COLLECTIONS_PATH=str(tmp_path))
    lint = subprocess.run([str(BIN / "antsibull-changelog"), "lint"], cwd=str(root), env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout + lint.stderr
    proc = subprocess.run([str(BIN / "antsibull-changelog"), "release"], cwd=str(root), env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    release = yaml.safe_load((root / "changelogs" / "changelog.yaml").read_text())["releases"][version]
    assert sorted(release["fragments"]) == fragments
    assert list((root / "changelogs" / "fragments").glob("*.yml")) == []
    assert release["changes"]["release_summary"]
    modules = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py"))
    assert sorted(m["name"] for m in release["modules"]) == modules
    assert [p["name"] for p in release["plugins"]["lookup"]] == ["node_ips"]
    with_specs = sorted(p.parent.parent.name for p in (REPO / "roles").glob("*/meta/argument_specs.yml"))
    listed = sorted(r["name"] for r in release.get("objects", {}).get("role", []))
    assert listed == with_specs, (
        "the changelog lists a role only when meta/argument_specs.yml's entry point `main` has "
        "`version_added: %s`" % version)
    text = (root / "CHANGELOG.md").read_text()
    assert "## v%s" % version.replace(".", "\\.") in text
    for module in modules:
        assert "aiven\\_tools\\.prometheus\\.%s \\-" % module.replace("_", "\\_") in text
