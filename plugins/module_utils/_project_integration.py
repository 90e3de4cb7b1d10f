# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the project_integration module does, apart from its documentation.

PRIVATE to the collection: it can change at any time. Two callers run this same code: the
module (plugins/modules/project_integration.py, an AnsibleModule) and the project_integration
lookup, which runs it in the controller's own Python in check mode through a stand-in for
AnsibleModule (plugins/plugin_utils/_controller_run.py), so that "would the module change
anything?" costs no module run and cannot answer differently from the module.

`module` below is either of them; what it must offer: `params`, `check_mode`, `fail_json`,
`exit_json` and `warn` (and, for the password_file and ca_file options only, the file methods
of plugins/module_utils/local_file.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aiven_tools.prometheus.plugins.module_utils import _endpoint
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._project_ca import read_ca, write_ca
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._service_integration import (
    Integrations,
    select,
    selection_argument_spec,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import (
    aiven_argument_spec,
    run_module,
    services_by_name,
)

# The module's AnsibleModule(required_if=...): state=present needs services or query, or both.
REQUIRED_IF = [("state", "present", ("services", "query"), True)]


def argument_spec():
    """The module's options (its DOCUMENTATION and doc fragments describe them)."""
    return aiven_argument_spec(
        endpoint_name=dict(type="str", default=_endpoint.DEFAULT_ENDPOINT_NAME),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        remove_endpoint=dict(type="bool", default=False),
        password_file=dict(type="path", no_log=False),
        ca_file=dict(type="path"),
        **dict(_endpoint.credentials_argument_spec(), **selection_argument_spec())
    )


def present(module, api):
    """Every read and check first (endpoint list + get, service list, CA), then the writes."""
    params = module.params
    project, name = params["project"], params["endpoint_name"]
    endpoint_plan = _endpoint.plan_present(module, _endpoint.read(module, api, project, name), name)
    selected = select(module, api.list_services(project))
    integrations = Integrations(module, api, project, endpoint_plan["after"]["id"], params["access"],
                                params["access_outside_vpc"])
    plan = integrations.plan_present(selected)
    ca_certificate = read_ca(module, api, project)

    endpoint = _endpoint.apply_present(module, api, project, endpoint_plan)
    shown = _endpoint.without_password(endpoint, params["return_password"])
    integrations.endpoint_id = endpoint["id"]
    if endpoint_plan["changed"] and not module.check_mode:
        integrations.done_before = "endpoint %s %s" % (name, "created" if endpoint_plan["create"] else "updated")
    result = integrations.run_present(selected, plan)
    result.update(changed=result["changed"] or endpoint_plan["changed"], endpoint=shown,
                  ca_certificate=ca_certificate,
                  diff={"before": {"endpoint": endpoint_plan["diff"]["before"], "services": result["diff"]["before"]},
                        "after": {"endpoint": _endpoint.diff_view(endpoint), "services": result["diff"]["after"]}})
    # The files a Prometheus on this machine (or a copy step) needs, written only when different:
    # cheaper than a copy task each, which is an action plugin plus a module of its own.
    if params["password_file"]:
        written = _endpoint.write_password_file(module, {"endpoint": endpoint, "changed": False},
                                                params["password_file"])
        result.update(password_file=params["password_file"], changed=result["changed"] or written["changed"])
    if params["ca_file"]:
        written = write_ca(module, ca_certificate, params["ca_file"])
        result.update(ca_file=params["ca_file"], changed=result["changed"] or written["changed"])
    return result


def absent(module, api):
    params = module.params
    project, name = params["project"], params["endpoint_name"]
    existing = _endpoint.find_one(module, api, project, name)
    all_services = api.list_services(project)
    selected = select(module, all_services) if params["services"] or params["query"] else []
    integrations = Integrations(module, api, project, existing["endpoint_id"] if existing else None)
    result = integrations.run_absent(selected)
    removed = sorted(row["service_name"] for row in result["services"] if row["actions"])
    before = _endpoint.diff_view(_endpoint.endpoint_view(existing)) if existing else {}
    after = before
    if existing is not None and params["remove_endpoint"]:
        # The service list as read after the deletes above (in check mode: as it was).
        services = (integrations.last_read or services_by_name(all_services)).values()
        removal = _endpoint.remove(module, api, project, existing, True, list(services))
        removed = sorted(set(removed) | set(removal["removed_integrations"]))
        after = {}
    result.update(changed=result["changed"] or after != before, removed_integrations=removed,
                  endpoint=_endpoint.without_password(_endpoint.endpoint_view(existing), False) if existing else None,
                  diff={"before": {"endpoint": before, "services": result["diff"]["before"]},
                        "after": {"endpoint": after, "services": result["diff"]["after"]}})
    return result


def run(module):
    """The module's work once its options are parsed: refuse what Aiven would refuse before any
    request, then present() or absent(). Ends in module.exit_json or module.fail_json."""
    params = module.params
    _endpoint.check_name(module, "endpoint_name")
    if params["state"] == "present":
        _endpoint.check_credentials(module)
        run_module(module, lambda api: present(module, api))
    elif not (params["services"] or params["query"] or params["remove_endpoint"]):
        module.fail_json(msg="state=absent needs services or query (whose integrations to remove), "
                         "or remove_endpoint=true")
    else:
        run_module(module, lambda api: absent(module, api))
