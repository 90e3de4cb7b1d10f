"""A plain clone is enough (issue 17.1): nothing that `make demo`, `make test` or `.ci/run`
executes reaches for files beside the checkout (../shared/ is documentation, read by people)."""
import subprocess

from conftest import REPO

# What the README's two commands run: the Makefile, CI's entry point, the tools they call.
EXECUTED = ["Makefile", ".ci/run", "tools/"]


def test_the_commands_need_nothing_beside_the_checkout():
    files = subprocess.run(["git", "ls-files", "--"] + EXECUTED, cwd=str(REPO), capture_output=True, text=True,
                           check=True).stdout.split()
    assert "Makefile" in files and "tools/fetch-prometheus" in files
    outside = [(name, line) for name in files for line in (REPO / name).read_text().splitlines()
               if "../" in line and not line.lstrip().startswith("#")]
    assert outside == []


def test_fetch_prometheus_names_no_mirror_but_uses_apts_own():
    script = (REPO / "tools" / "fetch-prometheus").read_text()
    assert "/etc/apt/sources.list" in script
    assert "://" not in "".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
