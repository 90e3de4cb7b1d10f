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
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.attributes
  - ansible.builtin.files
options:
  name:
    description:
      - Name of the endpoint (at most 40 characters).
    type: str
    required: true
  username:
    description:
      - Basic-auth user name Prometheus scrapes with. 5 to 32 characters of lower-case letters,
        digits, V(-), V(@) and V(_).
      - If omitted when creating, Aiven generates one.
    type: str
  password:
    description:
      - Basic-auth password, 8 to 256 characters.
      - If omitted when creating, Aiven generates one; read it back from RV(endpoint.password).
    type: str
  update_password:
    description:
      - V(always) sets O(password) on an existing endpoint when it differs.
      - V(on_create) only uses O(password) when the endpoint is created.
    type: str
    choices: [always, on_create]
    default: always
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
      - Also write the endpoint's password to this file (for C(basic_auth.password_file) of a
        Prometheus on this host), only when its content differs. The password then never
        appears in the task result.
      - Created with mode C(0600) unless O(mode) says otherwise; O(owner) and O(group) apply too.
      - Ignored with O(state=absent).
    type: path
  return_password:
    description:
      - Return the endpoint's password in RV(endpoint.password), read from the API. Use it when
        Aiven generated the password and Prometheus needs it.
      - The password is then in the task result in clear text. Only set this on a task with
        C(no_log) set.
      - When you pass O(password), Ansible masks that value in every result (it is a C(no_log)
        option), so the returned password reads C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER); use
        your own value then.
    type: bool
    default: false
seealso:
  - module: aiven_tools.prometheus.service_integration
  - module: aiven_tools.prometheus.project_ca
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
- name: Make sure the project has a Prometheus endpoint
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus-scrape
    username: promscraper
    password: "{{ vault_aiven_prometheus_password }}"
  delegate_to: localhost
  run_once: true

- name: Let Aiven generate the credentials and read them back
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus-scrape
    return_password: true
  register: prometheus_endpoint
  no_log: true  # the result holds the generated password
  delegate_to: localhost
  run_once: true

- name: Keep the (possibly generated) password in a file only you can read
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus-scrape
    password_file: /etc/prometheus/aiven-password
    owner: root
    group: prometheus
    mode: "0640"

- name: Remove the endpoint and the integrations that use it
  aiven_tools.prometheus.integration_endpoint:
    project: acme-prod
    name: prometheus-scrape
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
      sample: prometheus-scrape
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
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_RE,
    aiven_argument_spec,
    endpoint_port,
    is_redacted,
    prometheus_integrations,
    run_module,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.local_file import write_if_different


def endpoint_view(endpoint, password=None):
    """The endpoint as this module returns it; `password` only goes out on request (see main)."""
    user_config = endpoint.get("user_config") or {}
    secret = user_config.get("basic_auth_password")
    return {
        "id": endpoint.get("endpoint_id"),
        "name": endpoint.get("endpoint_name"),
        "username": user_config.get("basic_auth_username"),
        "password": password if is_redacted(secret) else secret,
        "port": endpoint_port(endpoint),
    }


def diff_view(view):
    # The diff never shows a password, only whether one is set.
    shown = dict(view or {})
    shown.pop("password", None)
    return shown


def public(module, result):
    """Drop the password from the result unless the task asked for it (return_password)."""
    endpoint = result.get("endpoint")
    if endpoint is not None and not module.params["return_password"]:
        endpoint.pop("password", None)
    return result


def validate_credentials(module):
    username, password = module.params["username"], module.params["password"]
    if username is not None and not USERNAME_RE.match(username):
        module.fail_json(msg="username %r is not valid for Aiven: use 5-32 characters of a-z, 0-9, '-', '@' and '_'"
                         % username)
    if password is not None and not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        module.fail_json(msg="password must be %d-%d characters long (it has %d)"
                         % (PASSWORD_MIN, PASSWORD_MAX, len(password)))


def find_one(module, api, project, name):
    found = api.find_prometheus_endpoints(project, name)
    if len(found) > 1:
        module.fail_json(msg="project %s has %d prometheus endpoints named %s (ids %s); remove the extra ones"
                         % (project, len(found), name, ", ".join(e["endpoint_id"] for e in found)))
    return found[0] if found else None


def ensure_present(module, api):
    params = module.params
    project, name = params["project"], params["name"]
    wanted = {}
    if params["username"] is not None:
        wanted["basic_auth_username"] = params["username"]
    if params["password"] is not None:
        wanted["basic_auth_password"] = params["password"]

    existing = find_one(module, api, project, name)
    if existing is None:
        result = {"changed": True, "diff": {"before": {}, "after": diff_view({"name": name, "username": params["username"]})}}
        if module.check_mode:
            result["endpoint"] = {"id": None, "name": name, "username": params["username"],
                                  "password": params["password"], "port": None}
            return result
        created = api.create_prometheus_endpoint(project, name, wanted)
        # Read back with secrets: Aiven generates credentials we did not give (aiven-api.md 2.1).
        created = api.get_endpoint(project, created["endpoint_id"], include_secrets=True)
        result["endpoint"] = endpoint_view(created, params["password"])
        result["diff"]["after"] = diff_view(result["endpoint"])
        return result

    current = api.get_endpoint(project, existing["endpoint_id"], include_secrets=True)
    before = endpoint_view(current)
    update = {}
    if "basic_auth_username" in wanted and wanted["basic_auth_username"] != before["username"]:
        update["basic_auth_username"] = wanted["basic_auth_username"]
    if ("basic_auth_password" in wanted and params["update_password"] == "always"
            and wanted["basic_auth_password"] != before["password"]):
        update["basic_auth_password"] = wanted["basic_auth_password"]
    if not update:
        return {"changed": False, "endpoint": before}

    after = dict(before, username=update.get("basic_auth_username", before["username"]))
    if "basic_auth_password" in update:
        after["password"] = update["basic_auth_password"]
    diff = {"before": diff_view(before), "after": diff_view(after)}
    if "basic_auth_password" in update:
        diff["before"]["password"], diff["after"]["password"] = "(old)", "(new)"
    if not module.check_mode:
        # Send both keys: the username and password belong together.
        user_config = {"basic_auth_username": after["username"], "basic_auth_password": after["password"]}
        user_config = dict((k, v) for k, v in user_config.items() if v is not None)
        api.update_endpoint(project, current["endpoint_id"], user_config)
    return {"changed": True, "endpoint": after, "diff": diff}


def write_password_file(module, result):
    """Put the endpoint's password in password_file, only when it differs; never in the diff."""
    result["password_file"] = module.params["password_file"]
    password = result["endpoint"].get("password")
    if password is None:  # check mode before the endpoint exists: it would be written
        result["changed"] = True
        return result
    written, dummy = write_if_different(module, result["password_file"], to_bytes(password + "\n"), secret=True)
    result["changed"] = result["changed"] or written
    return result


def ensure_absent(module, api):
    project, name = module.params["project"], module.params["name"]
    existing = find_one(module, api, project, name)
    if existing is None:
        return {"changed": False, "removed_integrations": []}
    users = []
    for service in api.list_services(project):
        for integration in prometheus_integrations(service, existing["endpoint_id"]):
            users.append((service["service_name"], integration["service_integration_id"]))
    if users and not module.params["force"]:
        module.fail_json(msg="endpoint %s is still used by service(s) %s: remove those integrations first "
                         "(aiven_tools.prometheus.service_integration state=absent) or set force=true"
                         % (name, ", ".join(sorted(s for s, dummy in users))))
    if not module.check_mode:
        for dummy, integration_id in users:
            api.delete_integration(project, integration_id)
        api.delete_endpoint(project, existing["endpoint_id"])
    view = endpoint_view(existing)
    return {"changed": True, "endpoint": view, "removed_integrations": sorted(s for s, dummy in users),
            "diff": {"before": diff_view(view), "after": {}}}


def main():
    module = AnsibleModule(
        argument_spec=aiven_argument_spec(
            name=dict(type="str", required=True),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            update_password=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            force=dict(type="bool", default=False),
            return_password=dict(type="bool", default=False, no_log=False),
            password_file=dict(type="path", no_log=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if len(module.params["name"]) > 40:
        module.fail_json(msg="name must be at most 40 characters (Aiven's limit)")
    if module.params["state"] == "present":
        validate_credentials(module)

        def present(api):
            result = ensure_present(module, api)
            if module.params["password_file"]:
                result = write_password_file(module, result)
            return public(module, result)
        run_module(module, present)
    else:
        run_module(module, lambda api: public(module, ensure_absent(module, api)))


if __name__ == "__main__":
    main()
