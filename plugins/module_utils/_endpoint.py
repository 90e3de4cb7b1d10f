# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project's Prometheus integration endpoint: find, create, update, remove.

PRIVATE to the collection: it can change at any time. Shared by the integration_endpoint and
project_integration modules. Reading is apart from writing (read, plan, apply) so a caller can
check everything else before its first write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_RE,
    endpoint_port,
    is_redacted,
    prometheus_integrations,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.local_file import write_if_different

# One endpoint name everywhere (issue 17.5): the role's, the modules' defaults and the docs'.
DEFAULT_ENDPOINT_NAME = "prometheus"
NAME_MAX = 40  # aiven-api.md 2.1


def credentials_argument_spec():
    """username, password, update_password, return_password (doc fragment
    aiven_tools.prometheus.aiven.endpoint_credentials)."""
    return dict(
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
        return_password=dict(type="bool", default=False, no_log=False),
    )


def endpoint_view(endpoint, password=None):
    """The endpoint as the modules return it; `password` stands in for a redacted one."""
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


def without_password(view, return_password):
    """The view a result carries: the password only when the task asked for it."""
    if view is not None and not return_password:
        view = dict(view)
        view.pop("password", None)
    return view


def check_name(module, option):
    """The endpoint name in option `option` fits Aiven's limit (aiven-api.md 2.1)."""
    if len(module.params[option]) > NAME_MAX:
        module.fail_json(msg="%s must be at most %d characters (Aiven's limit)" % (option, NAME_MAX))


def check_credentials(module):
    """Refuse credentials Aiven would refuse, before any request (aiven-api.md 2.1)."""
    username, password = module.params["username"], module.params["password"]
    if username is not None and not USERNAME_RE.match(username):
        module.fail_json(msg="username %r is not valid for Aiven: use 5-32 characters of a-z, 0-9, '-', '@' and '_'"
                         % username)
    if password is not None and not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        module.fail_json(msg="password must be %d-%d characters long (it has %d)"
                         % (PASSWORD_MIN, PASSWORD_MAX, len(password)))


def find_one(module, api, project, name):
    """The prometheus endpoint called `name` (one list request), or None."""
    found = api.find_prometheus_endpoints(project, name)
    if len(found) > 1:
        module.fail_json(msg="project %s has %d prometheus endpoints named %s (ids %s); remove the extra ones"
                         % (project, len(found), name, ", ".join(e["endpoint_id"] for e in found)))
    return found[0] if found else None


def read(module, api, project, name):
    """The endpoint with its credentials (list + get with include_secrets, aiven-api.md 2.2, 2.3)."""
    found = find_one(module, api, project, name)
    if found is None:
        return None
    return api.get_endpoint(project, found["endpoint_id"], include_secrets=True)


def plan_present(module, current, name):
    """What state=present needs: {"changed", "create", "user_config", "before", "after", "diff"}.

    `user_config` is what to send (create: the given credentials; update: both keys, the user
    name and password belong together). `after` is the view after the write, its id None while
    a create is only planned.
    """
    params = module.params
    wanted = {}
    if params["username"] is not None:
        wanted["basic_auth_username"] = params["username"]
    if params["password"] is not None:
        wanted["basic_auth_password"] = params["password"]
    if current is None:
        after = {"id": None, "name": name, "username": params["username"], "password": params["password"],
                 "port": None}
        return {"changed": True, "create": True, "user_config": wanted, "before": None, "after": after,
                "diff": {"before": {}, "after": diff_view(after)}}

    before = endpoint_view(current)
    update = {}
    if "basic_auth_username" in wanted and wanted["basic_auth_username"] != before["username"]:
        update["basic_auth_username"] = wanted["basic_auth_username"]
    if ("basic_auth_password" in wanted and params["update_password"] == "always"
            and wanted["basic_auth_password"] != before["password"]):
        update["basic_auth_password"] = wanted["basic_auth_password"]
    after = dict(before, username=update.get("basic_auth_username", before["username"]),
                 password=update.get("basic_auth_password", before["password"]))
    diff = {"before": diff_view(before), "after": diff_view(after)}
    if "basic_auth_password" in update:
        diff["before"]["password"], diff["after"]["password"] = "(old)", "(new)"
    user_config = dict((k, v) for k, v in (("basic_auth_username", after["username"]),
                                           ("basic_auth_password", after["password"])) if v is not None)
    return {"changed": bool(update), "create": False, "user_config": user_config if update else None,
            "before": before, "after": after, "diff": diff}


def apply_present(module, api, project, plan):
    """Carry out plan_present's plan (nothing in check mode); the endpoint view after it."""
    if not plan["changed"] or module.check_mode:
        return plan["after"]
    if plan["create"]:
        created = api.create_prometheus_endpoint(project, plan["after"]["name"], plan["user_config"])
        # Read back with secrets: Aiven generates credentials we did not give (aiven-api.md 2.1).
        created = api.get_endpoint(project, created["endpoint_id"], include_secrets=True)
        return endpoint_view(created, plan["after"]["password"])
    api.update_endpoint(project, plan["after"]["id"], plan["user_config"])
    return plan["after"]


def ensure_present(module, api, project, name):
    """state=present in one go: {"changed", "endpoint" (password included), "diff"}."""
    plan = plan_present(module, read(module, api, project, name), name)
    endpoint = apply_present(module, api, project, plan)
    result = {"changed": plan["changed"], "endpoint": endpoint}
    if plan["create"]:
        result["diff"] = {"before": {}, "after": diff_view(endpoint)}
    elif plan["changed"]:
        result["diff"] = plan["diff"]
    return result


def write_password_file(module, result, path):
    """Put the endpoint's password in `path`, only when it differs; never in the diff."""
    result["password_file"] = path
    password = result["endpoint"].get("password")
    if password is None:  # check mode before the endpoint exists: it would be written
        result["changed"] = True
        return result
    written, dummy = write_if_different(module, path, to_bytes(password + "\n"), secret=True)
    result["changed"] = result["changed"] or written
    return result


def users_of(services, endpoint_id):
    """(service name, integration id) of every prometheus integration to the endpoint."""
    return [(service["service_name"], integration["service_integration_id"])
            for service in services for integration in prometheus_integrations(service, endpoint_id)]


def ensure_absent(module, api, project, name, force, services=None):
    """Remove the endpoint `name` if it exists; see remove(). `services`: a service list
    already read (saves a request)."""
    existing = find_one(module, api, project, name)
    if existing is None:
        return {"changed": False, "endpoint": None, "removed_integrations": []}
    return remove(module, api, project, existing, force, services)


def remove(module, api, project, existing, force, services=None):
    """Remove the endpoint `existing`; with `force`, its integrations first, else refuse while
    it is used. {"changed", "endpoint", "removed_integrations", "diff"}."""
    if services is None:
        services = api.list_services(project)
    users = users_of(services, existing["endpoint_id"])
    if users and not force:
        module.fail_json(msg="endpoint %s is still used by service(s) %s: remove those integrations first "
                         "(aiven_tools.prometheus.service_integration state=absent) or set force=true"
                         % (existing["endpoint_name"], ", ".join(sorted(s for s, dummy in users))))
    if not module.check_mode:
        for dummy, integration_id in users:
            api.delete_integration(project, integration_id)
        # Integrations first: the API may refuse to remove an endpoint in use (aiven-api.md 2.5).
        api.delete_endpoint(project, existing["endpoint_id"])
    view = endpoint_view(existing)
    return {"changed": True, "endpoint": view, "removed_integrations": sorted(s for s, dummy in users),
            "diff": {"before": diff_view(view), "after": {}}}
