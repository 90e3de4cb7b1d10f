#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: integration_endpoint
short_description: Manage an Aiven project's Prometheus integration endpoint
version_added: 0.1.0
description:
  - Creates, updates or removes the project-level C(prometheus) integration endpoint that Aiven
    services send their metrics to (the "Prometheus" entry of the console's Integration
    endpoints page).
  - Finds the endpoint by type C(prometheus) and O(name), and adopts one that already exists.
  - The endpoint holds the basic-auth credentials Prometheus uses to scrape every service of the
    project on port 9273.
  - Runs where the task runs and needs C(requests) there, so on the controller with
    C(delegate_to=localhost) and C(run_once=true). O(password_file) is then written on the
    controller too.
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.endpoint_credentials
  - aiven_tools.prometheus.aiven.attributes
  - ansible.builtin.files
options:
  name:
    description:
      - Name of the endpoint (at most 40 characters).
      - The default is the one the role C(aiven_tools.prometheus.prometheus_aiven) and the other
        modules use, so they all find the same endpoint.
    type: str
    default: prometheus
  state:
    description:
      - V(present) makes sure the endpoint exists with these credentials.
      - V(absent) removes it. While services still send metrics to it, removal is refused
        unless O(force=true), which first removes those services' integrations.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), remove the services' Prometheus integrations to this endpoint
        first instead of failing.
    type: bool
    default: false
  password_file:
    description:
      - Also write the endpoint's password to this file where the module runs (for
        C(basic_auth.password_file) of a Prometheus there), only when its content differs. The
        password then never appears in the task result.
      - With C(delegate_to=localhost) that is a file on the controller. For a Prometheus on
        another host, read the password with O(return_password=true) under C(no_log) and copy
        it there (see the examples).
      - Created with mode C(0600) unless O(mode) says otherwise; O(owner) and O(group) apply too.
      - Ignored with O(state=absent).
    type: path
seealso:
  - module: aiven_tools.prometheus.service_integration
  - module: aiven_tools.prometheus.project_ca
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
# The module runs on the controller, which has requests: delegate_to localhost, once per play.
- name: Make sure the project has a Prometheus endpoint
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus
    username: promscraper
    password: "{{ vault_aiven_prometheus_password }}"
  delegate_to: localhost
  run_once: true

- name: Let Aiven generate the credentials and read them back
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus
    return_password: true
  register: prometheus_endpoint
  no_log: true  # the result holds the generated password
  delegate_to: localhost
  run_once: true

- name: Put the password where Prometheus reads it (on the Prometheus host, which needs no requests)
  ansible.builtin.copy:
    content: "{{ prometheus_endpoint.endpoint.password }}\n"
    dest: /etc/prometheus/aiven-password
    owner: root
    group: prometheus
    mode: "0640"
  no_log: true

- name: Or keep the password in a file on the controller, for a Prometheus that runs there
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus
    password_file: "{{ playbook_dir }}/aiven-prometheus-password"
    mode: "0600"
  delegate_to: localhost
  run_once: true

- name: Remove the endpoint and the integrations that use it
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus
    state: absent
    force: true
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
endpoint:
  description: The endpoint as it is after the task (before it, for O(state=absent)).
  returned: when the endpoint exists or would be created
  type: dict
  contains:
    id:
      description: Endpoint ID. V(null) when it would be created in check mode.
      type: str
      sample: 6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b
    name:
      description: Endpoint name.
      type: str
      sample: prometheus
    username:
      description: Basic-auth user name.
      type: str
      sample: promscraper
    password:
      description:
        - Basic-auth password, read from the API. A secret.
      returned: only with O(return_password=true)
      type: str
      sample: fhyFNBjj3R
    port:
      description: Port the services expose metrics on (C(endpoint_config.client_port)).
      type: int
      sample: 9273
password_file:
  description: The password file written or checked.
  returned: when O(password_file) is set and O(state=present)
  type: str
  sample: /etc/prometheus/aiven-password
removed_integrations:
  description: Services whose integration was removed first (O(state=absent), O(force=true)).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [pg-orders]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils import _endpoint
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import aiven_argument_spec, run_module


def present(module, api):
    params = module.params
    result = _endpoint.ensure_present(module, api, params["project"], params["name"])
    if params["password_file"]:
        result = _endpoint.write_password_file(module, result, params["password_file"])
    result["endpoint"] = _endpoint.without_password(result["endpoint"], params["return_password"])
    return result


def absent(module, api):
    params = module.params
    result = _endpoint.ensure_absent(module, api, params["project"], params["name"], params["force"])
    if result["endpoint"] is None:
        del result["endpoint"]
    else:
        result["endpoint"] = _endpoint.without_password(result["endpoint"], params["return_password"])
    return result


def main():
    module = AnsibleModule(
        argument_spec=aiven_argument_spec(
            name=dict(type="str", default=_endpoint.DEFAULT_ENDPOINT_NAME),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            force=dict(type="bool", default=False),
            password_file=dict(type="path", no_log=False),
            **_endpoint.credentials_argument_spec()
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    _endpoint.check_name(module, "name")
    if module.params["state"] == "present":
        _endpoint.check_credentials(module)
        run_module(module, lambda api: present(module, api))
    else:
        run_module(module, lambda api: absent(module, api))


if __name__ == "__main__":
    main()
