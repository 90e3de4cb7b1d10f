# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a module's main() in process, the way Ansible collections unit-test their modules.

    from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import (
        AnsibleFailJson, fail_module, run_module)
    from ansible_collections.aiven_tools.prometheus.plugins.modules import project_ca

    result = run_module(project_ca.main, {"project": "acme", ...}, check_mode=True, diff=True)
    failure = fail_module(project_ca.main, {...})          # the fail_json keyword arguments
    assert failure["msg"] == "..."

exit_json and fail_json are replaced by functions that raise AnsibleExitJson / AnsibleFailJson
carrying the keyword arguments the module passed, BEFORE Ansible's own no_log masking: a test
that finds no secret in them has checked the module itself, not Ansible's safety net.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


class AnsibleExitJson(Exception):
    """The module called exit_json; `.result` is what it passed."""

    def __init__(self, result):
        super(AnsibleExitJson, self).__init__(result)
        self.result = result


class AnsibleFailJson(Exception):
    """The module called fail_json; `.result` is what it passed (`msg`, `failed`, ...)."""

    def __init__(self, result):
        super(AnsibleFailJson, self).__init__(result)
        self.result = result


def exit_json(module, **kwargs):
    kwargs.setdefault("changed", False)
    raise AnsibleExitJson(kwargs)


def fail_json(module, msg=None, **kwargs):
    kwargs["failed"] = True
    kwargs["msg"] = msg
    raise AnsibleFailJson(kwargs)


@contextlib.contextmanager
def set_module_args(args):
    """Make `args` the arguments of every AnsibleModule created inside the block."""
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:  # older ansible-core read the serialized arguments from basic._ANSIBLE_ARGS
        serialized = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        with mock.patch.object(basic, "_ANSIBLE_ARGS", serialized):
            yield
    else:
        with patch_module_args(args):
            yield


def _module_args(args, check_mode, diff, tmpdir):
    merged = dict(args)
    merged["_ansible_check_mode"] = check_mode
    merged["_ansible_diff"] = diff
    if tmpdir is not None:
        merged["_ansible_tmpdir"] = str(tmpdir)
    return merged


def run_module(main, args, check_mode=False, diff=False, tmpdir=None):
    """Run `main()` with `args` (plus check/diff mode); return what it gave exit_json.

    A module that calls fail_json raises AnsibleFailJson instead (see fail_module).
    `tmpdir`: the module's scratch directory (AnsibleModule.tmpdir), for modules that use it.
    """
    with set_module_args(_module_args(args, check_mode, diff, tmpdir)):
        with mock.patch.multiple(basic.AnsibleModule, exit_json=exit_json, fail_json=fail_json):
            try:
                main()
            except AnsibleExitJson as done:
                return done.result
    raise AssertionError("the module returned without calling exit_json or fail_json")


def fail_module(main, args, check_mode=False, diff=False, tmpdir=None):
    """Run `main()` expecting fail_json; return what it passed (`msg`, `failed`, ...)."""
    try:
        result = run_module(main, args, check_mode=check_mode, diff=diff, tmpdir=tmpdir)
    except AnsibleFailJson as failed:
        return failed.result
    raise AssertionError("the module succeeded, expected it to fail: %r" % (result,))


# -- the Aiven API modules against the in-process fake API (tests/sandbox/fake_aiven.py) --------

def api_args(fake, project="acme", **options):
    """The options every API module takes, pointing at a started FakeAiven, plus `options`."""
    args = {"api_url": fake.url, "api_token": fake.token, "project": project}
    args.update(options)
    return args


def api_call(fake, method, path, body=None):
    """Set up or inspect the fake through its own HTTP API (a path under /v1); the parsed answer.

    Tests arrange state this way (an endpoint made elsewhere, an integration) instead of through
    the collection's client, so they do not depend on the code under test."""
    import requests  # the API modules need it anyway; imported here so utils loads without it

    response = requests.request(method, fake.url + "/v1" + path, json=body, timeout=10,
                                headers={"Authorization": "aivenv1 " + fake.token})
    response.raise_for_status()
    return response.json()


def make_endpoint(fake, name="prometheus", endpoint_type="prometheus", project="acme", **user_config):
    """A Prometheus endpoint made elsewhere (the console, avn); returns the API's endpoint object.
    Arrangement is not what a test measures: fake.requests is cleared afterwards."""
    body = {"endpoint_name": name, "endpoint_type": endpoint_type, "user_config": user_config}
    endpoint = api_call(fake, "POST", "/project/%s/integration_endpoint" % project, body)
    fake.clear_requests()
    return endpoint["service_integration_endpoint"]


def integrate(fake, endpoint, *services, project="acme"):
    """Prometheus integrations from `services` to `endpoint`, made elsewhere; clears fake.requests."""
    for service in services:
        api_call(fake, "POST", "/project/%s/integration" % project,
                 {"integration_type": "prometheus", "source_service": service,
                  "dest_endpoint_id": endpoint["endpoint_id"], "user_config": {}})
    fake.clear_requests()
