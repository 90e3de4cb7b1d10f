"""The harness itself: the collection is visible to real Ansible and the interpreter is set."""


def test_ansible_sees_collection(ansible):
    proc = ansible.run(["ansible-galaxy", "collection", "list", "aiven_tools.prometheus"], check=True)
    assert "aiven_tools.prometheus" in proc.stdout


def test_adhoc_module_result_is_parsed(ansible):
    rc, result, proc = ansible.module("ansible.builtin.ping", {"data": "pong-check"})
    assert rc == 0, proc.stdout + proc.stderr
    assert result["ping"] == "pong-check"
