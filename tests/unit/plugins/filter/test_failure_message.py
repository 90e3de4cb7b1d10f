"""failure_message: the messages of scrape_config and prometheus_reload (copied from
plugins/module_utils/_reload.py, _scrape_config/ and _prometheus.py) in the role's words."""
import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.filter.failure_message import EXAMPLES, failure_message
from sandbox.util import free_port

SETTINGS = {"web_url": "my_url", "config_file": "my_config", "path": "my_config", "paths": "my_dir",
            "files": "my_dir", "promtool": "my_promtool", "validate": "my_promtool", "unit": "my_unit",
            "pid": "my_pid", "pidfile": "my_pidfile", "method": "my_reload", "resolve": "my_discovery"}


@pytest.mark.parametrize("result, expected", [
    # scrape_config with reload: its reload suboptions are named reload.NAME wherever they appear.
    ({"option": "reload.web_url", "msg": "Prometheus does not answer at http://127.0.0.1:9 (Connection refused). "
                                         "Start it or fix reload.web_url"},
     "my_url: Prometheus does not answer at http://127.0.0.1:9 (Connection refused). Start it or fix my_url"),
    ({"option": "reload.pidfile", "msg": "cannot read pidfile /run/p.pid (No such file); set reload.pidfile to the "
                                         "file holding Prometheus's PID, or set reload.pid"},
     "my_pidfile: cannot read pidfile /run/p.pid (No such file); set my_pidfile to the file holding Prometheus's PID, "
     "or set my_pid"),
    ({"option": "reload.unit", "msg": "systemctl reload p failed (rc=5): not loaded; set reload.unit to Prometheus's "
                                      "systemd unit, or another reload.method"},
     "my_unit: systemctl reload p failed (rc=5): not loaded; set my_unit to Prometheus's systemd unit, or another "
     "my_reload"),
    # prometheus_reload (the preflight): bare names, replaced only where the message asks to change them.
    ({"option": "method", "msg": "method systemd (auto: the lifecycle API is disabled) needs systemctl, which this "
                                 "host does not have; set method to signal or start Prometheus with "
                                 "--web.enable-lifecycle"},
     "my_reload: method systemd (auto: the lifecycle API is disabled) needs systemctl, which this host does not have; "
     "set my_reload to signal or start Prometheus with --web.enable-lifecycle"),
    ({"option": "promtool", "msg": "promtool /x/promtool was not found or is not executable on this host; set promtool "
                                   "to its path (Debian: package prometheus)"},
     "my_promtool: promtool /x/promtool was not found or is not executable on this host; set my_promtool to its path "
     "(Debian: package prometheus)"),
    ({"option": "paths", "msg": "/nope (in paths) is not an existing directory; create it or fix the setting that "
                                "names it"},
     "my_dir: /nope (in my_dir) is not an existing directory; create it or fix the setting that names it"),
    ({"option": "web_url", "msg": "Prometheus refused the reload: the lifecycle API is disabled (start Prometheus with "
                                  "--web.enable-lifecycle, or use method signal or systemd): no"},
     "my_url: Prometheus refused the reload: the lifecycle API is disabled (start Prometheus with "
     "--web.enable-lifecycle, or use my_reload signal or systemd): no"),
    # scrape_config's own options; a name inside a longer one, or indexed, stays.
    ({"option": "validate", "msg": "promtool not found; set validate to its path, or validate: false"},
     "my_promtool: promtool not found; set my_promtool to its path, or my_promtool: false"),
    ({"option": "files", "msg": "files[0].path /etc/p.yml is a file this module writes itself (the configuration or "
                                "the drop-in); give another path"},
     "my_dir: files[0].path /etc/p.yml is a file this module writes itself (the configuration or the drop-in); give "
     "another path"),
    ({"msg": "fix my_url_old or set pidfile_x"}, "fix my_url_old or set pidfile_x"),
    # No option, or one the caller has no name for: the message alone.
    ({"msg": "Prometheus rejected the new configuration: bad"}, "Prometheus rejected the new configuration: bad"),
    ({"option": "name", "msg": "name must start with a letter"}, "name must start with a letter"),
    # Not a failure (a success, a skipped task): nothing to say, so no failing task either.
    ({"changed": False}, ""),
    ({"changed": False, "skip_reason": "Conditional result was False"}, ""),
    # ansible-core 2.19, failed_when false on a module that raised: no msg, still a failure.
    ({"changed": False, "failed": False, "failed_when_result": False,
      "failed_when_suppressed_exception": "(traceback unavailable)"},
     "the module raised an exception ((traceback unavailable)); run with -vvv to see it"),
])
def test_names_the_callers_settings(result, expected):
    assert failure_message(result, SETTINGS) == expected


def test_no_settings_leaves_the_message():
    assert failure_message({"option": "web_url", "msg": "fix web_url"}, {}) == "fix web_url"


def test_wrong_input_is_one_line():
    with pytest.raises(AnsibleFilterError, match="expects a registered result"):
        failure_message("text", SETTINGS)


def run_play(ansible, tmp_path, tasks, play_vars=None):
    """ansible-playbook on localhost with `tasks` (and `play_vars`); a library/ beside it is used."""
    play = [{"hosts": "localhost", "gather_facts": False, "vars": play_vars or {}, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    return ansible.playbook(tmp_path / "play.yml", "-i", "localhost,", "-c", "local")


def test_the_example_names_the_variable_after_a_real_failed_reload(ansible, tmp_path):
    """EXAMPLES as they are, by real ansible-playbook: scrape_config places the job, nothing
    answers at the web address, the file goes back, and the second task fails naming the variable."""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:9100']\n")
    original = config.read_bytes()
    closed = "http://127.0.0.1:%d" % free_port()
    proc = run_play(ansible, tmp_path, yaml.safe_load(EXAMPLES), {
        "my_config_file": str(config), "my_prometheus_url": closed,
        "my_jobs": "- job_name: aiven-pg\n  static_configs:\n    - targets: ['127.0.0.2:9273']\n"})
    assert proc.returncode == 2, proc.stdout[-3000:]
    [msg] = re.findall(r'"msg": "(.*)"', proc.stdout)
    assert msg.startswith("my_prometheus_url: Prometheus does not answer at %s (Connection refused)" % closed), msg
    assert msg.endswith("Start it or fix my_prometheus_url (nothing was changed)"), msg
    assert config.read_bytes() == original


def test_a_module_that_raised_under_failed_when_false_still_fails_the_play(ansible, tmp_path):
    """ansible-core 2.19 keeps no msg for a module that raised when failed_when is false (found
    while testing this role): a `when: result.msg is defined` let such a run end green."""
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "raises.py").write_text(
        "from ansible.module_utils.basic import AnsibleModule\nimport no_such_module_7c1e\n")
    proc = run_play(ansible, tmp_path, [
        {"name": "Raises", "raises": {}, "register": "placed", "failed_when": False},
        {"name": "Fail", "ansible.builtin.fail": {"msg": "{{ placed | aiven_tools.prometheus.failure_message({}) }}"},
         "when": "placed | aiven_tools.prometheus.failure_message({}) | length > 0"}])
    assert proc.returncode == 2, proc.stdout[-3000:]
    assert "the module raised an exception" in proc.stdout or "MODULE FAILURE" in proc.stdout, proc.stdout[-3000:]
