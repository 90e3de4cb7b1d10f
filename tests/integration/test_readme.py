"""The README's "First steps" run as written (issue 17): the block between its first-steps
markers, with bash, from the checkout. Only the /tmp paths are moved into this test's own
directory, so parallel runs never share them."""
import pathlib
import re
import subprocess

from conftest import REPO, ansible_env


def first_steps():
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- first-steps:begin -->\n```sh\n(.*?)```\n<!-- first-steps:end -->", text, re.S)
    assert block, "README.md lost its first-steps block"
    return block.group(1)


def test_the_readme_first_steps_run_as_written(tmp_path):
    script = first_steps().replace("/tmp/aiven-", str(tmp_path) + "/aiven-")
    env = ansible_env(tmp_path)
    del env["ANSIBLE_COLLECTIONS_PATH"]  # the steps install the collection themselves
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=str(REPO), env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    recap = re.findall(r"^prometheus-1\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", proc.stdout, re.M)
    assert recap and int(recap[0]) > 0, proc.stdout[-3000:]  # the site playbook placed the jobs
    assert '"service_name": "pg-orders"' in proc.stdout  # the ad-hoc service_info call answered
    assert (tmp_path / "aiven-collections" / "ansible_collections" / "aiven_tools" / "prometheus").is_dir()
    assert pathlib.Path(tmp_path / "aiven-sandbox.json").read_text().startswith("{")
