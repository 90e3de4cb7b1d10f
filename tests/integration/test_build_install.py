"""The collection as users get it: `ansible-galaxy collection build`, then install the tarball
into a fresh collections path and run modules and playbooks/enable.yml from that INSTALLED copy
against the fake Aiven API (never from the checkout: only the install dir is on the path).
"""
import json
import pathlib
import re
import subprocess
import sys
import tarfile
import urllib.parse

import pytest

from conftest import REPO, ansible_env
from sandbox.fake_aiven import running

TOKEN = "tok-build-install-7c1e2a"
PASSWORD = "Build-inst-pass-9876"
NAME = "aiven_tools.prometheus"
BIN = pathlib.Path(sys.executable).parent

# Nothing of these may ship: tests, local environments, caches, build and lint output.
FORBIDDEN_DIRS = {"tests", ".venv", ".cache", "__pycache__", ".pytest_cache", ".git", ".ansible",
                  ".config", ".ci", "benchmarks", "tools"}
FORBIDDEN_SUFFIXES = (".pyc", ".pyo", ".tar.gz", ".retry", ".orig", ".rej", "~")
# A virtualenv under any name, antsibull-changelog's cache.
FORBIDDEN_NAMES = {"pyvenv.cfg", ".plugin-cache.yaml"}


def _run(argv, tmp, cwd, collections_path=None, **env):
    extra = dict(env)
    if collections_path is not None:
        extra["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    proc = subprocess.run(argv, env=ansible_env(tmp, **extra), cwd=str(cwd), capture_output=True, text=True,
                          timeout=300, check=False)
    return proc


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(tarball, install root, scratch dir): built and installed once per xdist worker."""
    tmp = tmp_path_factory.mktemp("build_install")
    dist = tmp / "dist"
    proc = _run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(REPO)],
                tmp, cwd=tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarballs = list(dist.glob("aiven_tools-prometheus-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    install_root = tmp / "installed"
    proc = _run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(install_root),
                 str(tarballs[0])], tmp, cwd=tmp, collections_path=install_root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tarballs[0], install_root, tmp


def _tar_names(tarball):
    with tarfile.open(str(tarball)) as tar:
        return sorted(m.name for m in tar.getmembers())


def _git_listed():
    """Files git would hand to anyone: tracked plus untracked-but-not-ignored."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=str(REPO),
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_tarball_has_no_tests_caches_or_build_output(built):
    tarball = built[0]
    names = _tar_names(tarball)
    files = [n for n in names if n not in ("MANIFEST.json", "FILES.json")]
    bad = [n for n in names if FORBIDDEN_DIRS & set(n.split("/")) or n.endswith(FORBIDDEN_SUFFIXES)
           or n.split("/")[-1] in FORBIDDEN_NAMES]
    assert bad == []
    assert not any(n.startswith("tests/output") for n in names)
    # Every shipped file is one git would list: nothing git-ignored (caches, venvs) slips in.
    with tarfile.open(str(tarball)) as tar:
        shipped = [m.name for m in tar.getmembers() if m.isfile() and m.name not in ("MANIFEST.json", "FILES.json")]
    assert sorted(set(shipped) - _git_listed()) == []
    # What users need is there.
    for needed in ("meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
                   "changelogs/changelog.yaml", "plugins/modules/project_ca.py", "plugins/lookup/node_ips.py",
                   "README.md", "COPYING"):
        assert needed in files, needed


def test_tarball_carries_the_licence_text(built):
    """galaxy.yml says GPL-3.0-or-later; a distributor needs the text itself, as shipped here."""
    with tarfile.open(str(built[0])) as tar:
        shipped = tar.extractfile("COPYING").read()
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())
    assert shipped == (REPO / "COPYING").read_bytes()
    assert shipped.startswith(b"                    GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007")
    assert manifest["collection_info"]["license"] == ["GPL-3.0-or-later"]


# Host names that can never be a real project page (RFC 2606/6761) or only exist on one machine.
PLACEHOLDER_HOST = re.compile(r"(^|\.)(example(\.(com|net|org))?|invalid|test|localhost|local)$", re.IGNORECASE)


def test_galaxy_links_are_real_or_absent(built):
    """Galaxy shows repository/documentation/issues/homepage as links: each is a real https
    address that CONTRIBUTING.md names too, or it is not set at all."""
    with tarfile.open(str(built[0])) as tar:
        info = json.loads(tar.extractfile("MANIFEST.json").read())["collection_info"]
    contributing = (REPO / "CONTRIBUTING.md").read_text()
    for field in ("repository", "documentation", "issues", "homepage"):
        url = info.get(field)
        if url is None:
            continue
        parsed = urllib.parse.urlsplit(url)
        assert parsed.scheme == "https" and parsed.hostname, (field, url)
        assert not PLACEHOLDER_HOST.search(parsed.hostname), "%s is a placeholder: %s" % (field, url)
        assert url in contributing, "galaxy.yml's %s %s is not in CONTRIBUTING.md" % (field, url)


def test_installed_copy_is_what_ansible_uses(built, tmp_path):
    dummy, install_root, tmp = built
    proc = _run(["ansible-galaxy", "collection", "list", NAME, "--format", "json"], tmp_path, cwd=tmp,
                collections_path=install_root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = json.loads(proc.stdout)
    assert list(listed) == [str(install_root / "ansible_collections")]
    version = listed[str(install_root / "ansible_collections")][NAME]["version"]
    galaxy = (REPO / "galaxy.yml").read_text()
    assert "\nversion: %s\n" % version in galaxy


@pytest.fixture
def fake():
    with running(TOKEN, [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3)]) as api:
        yield api


def _aiven_env(fake):
    return {"AIVEN_WEB_URL": fake.url, "AIVEN_TOKEN": TOKEN, "AIVEN_PROJECT": "acme",
            "AIVEN_CLIENT_RETRY_WAIT_MIN": "0.01", "AIVEN_CLIENT_RETRY_WAIT_MAX": "0.05"}


def test_adhoc_module_from_installed_copy(built, fake, tmp_path):
    dummy, install_root, tmp = built
    dest = tmp_path / "ca.pem"
    argv = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-vvv",
            "-m", NAME + ".project_ca", "-a", json.dumps({"dest": str(dest), "mode": "0644"})]
    proc = _run(argv, tmp_path, cwd=tmp_path, collections_path=install_root, **_aiven_env(fake))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert dest.read_text() == fake.projects["acme"]["ca_pem"]
    # The module file came from the install dir, not from the checkout.
    used = str(install_root / "ansible_collections" / "aiven_tools" / "prometheus" / "plugins" / "modules"
               / "project_ca.py")
    assert "Using module file %s" % used in proc.stdout
    assert TOKEN not in proc.stdout + proc.stderr


def test_enable_playbook_from_installed_copy(built, fake, tmp_path):
    dummy, install_root, tmp = built
    if not (install_root / "ansible_collections" / "aiven_tools" / "prometheus" / "playbooks" / "enable.yml").exists():
        pytest.skip("playbooks/enable.yml is not in the collection yet (the lead is writing it)")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = ["ansible-playbook", NAME + ".enable", "-e", "aiven_output_dir=%s" % out_dir,
            "-e", "aiven_password=%s" % PASSWORD]
    proc = _run(argv, tmp_path, cwd=tmp_path, collections_path=install_root, **_aiven_env(fake))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(i["source_service"] for i in fake.projects["acme"]["integrations"].values()) == [
        "kafka-events", "pg-orders"]
    assert (out_dir / "aiven-acme-ca.pem").read_text() == fake.projects["acme"]["ca_pem"]
    assert (out_dir / "aiven-prometheus-password").read_text() == PASSWORD + "\n"
    for secret in (TOKEN, PASSWORD):
        assert secret not in proc.stdout + proc.stderr

    fake.clear_requests()
    proc = _run(argv, tmp_path, cwd=tmp_path, collections_path=install_root, **_aiven_env(fake))
    assert proc.returncode == 0 and "changed=0" in proc.stdout, proc.stdout + proc.stderr
    assert fake.writes() == []
