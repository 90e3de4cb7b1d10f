"""Test harness shared by every test: how to run real Ansible against this checkout.

Ansible only loads a collection from an `ansible_collections/<namespace>/<name>` tree, so the
checkout is linked into one under the system temp dir (outside the repo, so nothing walks into
a loop). Every run sets the Python interpreter explicitly: on these machines the discovered one
is broken and fails as "Module result deserialization failed" (../shared/testing.md).
"""
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
sys.path.insert(0, str(TESTS))  # `import sandbox.fake_aiven` etc.


def _collections_root():
    tag = hashlib.sha1(str(REPO).encode()).hexdigest()[:10]
    root = pathlib.Path(tempfile.gettempdir()) / ("aiven_tools_collections_" + tag)
    link = root / "ansible_collections" / "aiven_tools" / "prometheus"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        try:
            link.symlink_to(REPO)
        except FileExistsError:  # another xdist worker won the race
            pass
    return root


COLLECTIONS_ROOT = _collections_root()
# Unit tests import plugins as ansible_collections.aiven_tools.prometheus.plugins....
sys.path.insert(0, str(COLLECTIONS_ROOT))


def ansible_env(tmp_dir, **extra):
    """Environment for a real `ansible` / `ansible-playbook` run against this checkout."""
    env = dict(os.environ)
    for key in list(env):
        # A developer's own Aiven settings must never leak into a test run.
        if key.startswith("AIVEN_") or key.startswith("ANSIBLE_"):
            del env[key]
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_HOME=str(tmp_dir / "ansible_home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_dir / "ansible_tmp"),
        ANSIBLE_REMOTE_TEMP=str(tmp_dir / "ansible_remote_tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class AnsibleRunner:
    """Runs real ansible commands; each result keeps the full output for secret scans."""

    def __init__(self, tmp_dir):
        self.tmp_dir = tmp_dir
        self.outputs = []  # every stdout+stderr seen, for "no secret in any output" assertions

    def run(self, argv, env=None, check=False, timeout=600, input=None):
        proc = subprocess.run(
            argv, env=ansible_env(self.tmp_dir, **(env or {})), cwd=str(REPO),
            capture_output=True, text=True, timeout=timeout, input=input, check=False,
        )
        self.outputs.append(proc.stdout + proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s\n%s" % (argv, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def module(self, module, args, env=None, check_mode=False, diff=False, verbosity=0):
        """`ansible localhost -m MODULE -a JSON`; returns (returncode, result dict, proc)."""
        argv = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", module]
        if args:  # `-a '{}'` would be taken as raw params
            argv += ["-a", json.dumps(args)]
        if check_mode:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        if verbosity:
            argv.append("-" + "v" * verbosity)
        merged = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "minimal"}
        merged.update(env or {})
        proc = self.run(argv, env=merged)
        return proc.returncode, parse_minimal_result(proc.stdout), proc

    def playbook(self, playbook, *args, env=None, check=False, timeout=600):
        return self.run(["ansible-playbook", str(playbook)] + list(args), env=env, check=check, timeout=timeout)

    def assert_no_secret(self, *secrets):
        for secret in secrets:
            assert secret, "empty secret makes the scan meaningless"
            for out in self.outputs:
                assert secret not in out, "a secret leaked into ansible output"


def parse_minimal_result(stdout):
    """The JSON after `localhost | STATUS => ` from the minimal callback ({} if none)."""
    start = stdout.find("=> {")
    if start < 0:
        return {}
    decoder = json.JSONDecoder()
    try:
        return decoder.raw_decode(stdout[start + 3:])[0]
    except ValueError:
        return {}


@pytest.fixture
def ansible(tmp_path):
    return AnsibleRunner(tmp_path)
