# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: project_integration
short_description: What the project_integration module would change, read on the controller
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - Returns what M(aiven_tools.prometheus.project_integration) with
    O(aiven_tools.prometheus.project_integration#module:state=present) returns in check mode for
    the same options, by running the module's own code in the
    controller's Python. It holds the endpoint (with its password on request), the project CA, each
    selected service with its targets, the services that are not running, the diff, and
    C(changed), whether the module would change anything.
  - Sends only reads (GET) to the Aiven API; four when the endpoint exists (endpoint list,
    endpoint, service list, CA), as the module does.
  - For the case with nothing to change it costs no module run (the AnsiballZ build and the
    module's own Python, about 0.85 s the first time a run uses a module). Call the module only
    when RV(_raw.changed) is true (see the examples).
  - The options are checked by the module's own argument spec, so types, choices, defaults,
    environment fallbacks and error messages are the module's.
options:
  endpoint_name:
    description:
      - Name of the project's Prometheus integration endpoint, as the module's
        O(aiven_tools.prometheus.project_integration#module:endpoint_name).
    type: str
    default: prometheus
  services:
    description:
      - Names of the services, as the module's O(aiven_tools.prometheus.project_integration#module:services).
        An unknown name is an error.
      - At least one of O(services) and O(query) is required.
    type: list
    elements: str
  query:
    description:
      - A JMESPath expression selecting services, as the module's
        O(aiven_tools.prometheus.project_integration#module:query) (needs C(jmespath) on the controller).
    type: str
  access:
    description:
      - The access flags the module would turn on, as its O(aiven_tools.prometheus.project_integration#module:access).
        A flag that is off counts as a change.
    type: list
    elements: str
    choices: [public, private, privatelink]
    default: []
  access_outside_vpc:
    description:
      - As the module's O(aiven_tools.prometheus.project_integration#module:access_outside_vpc).
    type: bool
    default: false
  return_password:
    description:
      - Return the endpoint's password in C(endpoint.password) of the result, read from the API
        (or the given O(password) while the endpoint does not exist yet).
      - Unlike a module's result, the lookup's is not masked by Ansible, so a given O(password)
        comes back as it is. Keep the result out of logs with C(no_log) on the task.
  fail_on_error:
    description:
      - V(true) raises every failure as a lookup error.
      - V(false) returns every failure instead, as a dict with C(failed=true) and C(msg) (and C(status)
        and C(error_code) for Aiven's answer to a request). A failure is a bad option, a missing
        token, C(requests) missing, or an error answer from Aiven.
      - V(false) is for a lookup in a task with C(no_log=true), which it needs with
        O(return_password=true) (the result holds the password). The result of such a task is
        censored when it fails, its message too; before ansible-core 2.19 nothing else shows the
        error either. With V(false) the task succeeds and a later task reports RV(_raw.msg) in
        its own words (see the examples). The message never holds the token or the password.
    type: bool
    default: true
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.endpoint_credentials
notes:
  - A lookup runs in the Python that runs C(ansible-playbook), each time its expression is
    templated. C(module_defaults), C(environment) and C(delegate_to) do not apply to it. Pass the
    options, or set E(AIVEN_TOKEN) and E(AIVEN_PROJECT) in the environment of C(ansible-playbook).
  - An option given as V(null) or C(omit) counts as not given, as for a module task.
  - Needs C(requests) in the Python that runs C(ansible-playbook), whatever
    C(ansible_python_interpreter) says.
  - The module's options that only decide what it writes or how it waits (C(state), C(password_file),
    C(ca_file), C(remove_endpoint), C(wait), C(wait_timeout), C(wait_interval)) are not options of
    the lookup.
seealso:
  - module: aiven_tools.prometheus.project_integration
"""

EXAMPLES = r"""
# Read first, on the controller and without a module; send the module only when it would change
# something. The token comes from AIVEN_TOKEN in ansible-playbook's environment.
- name: What project_integration would change (no module is sent)
  ansible.builtin.set_fact:
    aiven_plan: >-
      {{ lookup('aiven_tools.prometheus.project_integration', project='acme-prod',
                query="[?service_type=='pg']", return_password=true, fail_on_error=false) }}
  no_log: true  # the result holds the endpoint's password
  run_once: true

- name: Say what went wrong (no_log above censors the failure of its own task)
  ansible.builtin.fail:
    msg: "{{ aiven_plan.msg }}"
  when: aiven_plan.failed | default(false)
  run_once: true

- name: Make the changes, only when there are some
  aiven_tools.prometheus.project_integration:
    project: acme-prod
    query: "[?service_type=='pg']"
    return_password: true
  register: aiven_applied
  no_log: true
  delegate_to: localhost
  run_once: true
  when: aiven_plan.changed

- name: The endpoint, CA and targets either way
  ansible.builtin.set_fact:
    aiven: "{{ aiven_applied if aiven_plan.changed else aiven_plan }}"
  no_log: true
  run_once: true

- name: Hosts to scrape
  ansible.builtin.debug:
    msg: "{{ aiven.services | map(attribute='targets') | flatten | map(attribute='host') | list }}"
  run_once: true

- name: Which of two services are not running (project from AIVEN_PROJECT), and is anything to change
  ansible.builtin.debug:
    msg: "not running: {{ plan.skipped_services | map(attribute='service') }}; changes needed: {{ plan.changed }}"
  vars:
    plan: >-
      {{ lookup('aiven_tools.prometheus.project_integration', services=['pg-orders', 'kafka-events'],
                access=['private']) }}
  run_once: true
"""

RETURN = r"""
_raw:
  description:
    - One dict, what M(aiven_tools.prometheus.project_integration) returns in check mode for the
      same options (see its return values); with O(fail_on_error=false), what it fails with.
    - Use C(lookup) to get the dict itself, C(query) for a list holding it.
  type: list
  elements: dict
  contains:
    changed:
      description:
        - Whether the module would change something (create or update the endpoint, turn on an
          access flag, create an integration).
      type: bool
      returned: success
    endpoint:
      description:
        - The endpoint as the module returns it (C(id), C(name), C(username), C(port)); C(id) and
          C(port) are V(null) when it would be created.
        - C(password) only with O(return_password=true), V(null) while the endpoint does not exist
          and no O(password) is given.
      type: dict
      returned: success
      sample: {id: 6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b, name: prometheus, username: promscraper, port: 9273}
    ca_certificate:
      description: The project CA certificate, PEM encoded, ending in a newline.
      type: str
      returned: success
    services:
      description:
        - One entry per selected service, as the module's; C(actions) lists what the module would do
          (C(enable_public_access), C(enable_private_access), C(enable_privatelink_access),
          C(create_integration)), C(integration_id) is V(null) until the integration exists.
      type: list
      elements: dict
      returned: success
    skipped_services:
      description: The selected services that are not C(RUNNING) (C(service), C(state), C(reason)), as the module's.
      type: list
      elements: dict
      returned: success
      sample: [{service: pg-night, state: POWEROFF,
                reason: "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on"}]
    diff:
      description:
        - C(before) and C(after), each with C(endpoint) (no password) and C(services) (per
          service, its integration and access flags).
      type: dict
      returned: success
    failed:
      description: V(true) on a failure with O(fail_on_error=false).
      type: bool
      returned: failure
    msg:
      description: The failure, one line, as the module would report it; never the token or the password.
      type: str
      returned: failure
      sample: >-
        Aiven API GET /project/acme-prod/integration_endpoint returned HTTP 403: Authentication failed
        (check api_token / AIVEN_TOKEN and that the token's user may access this project)
    status:
      description: The HTTP status of Aiven's answer, when the failure is one.
      type: int
      returned: failure of a request
    error_code:
      description: Aiven's error code, when its answer has one.
      type: str
      returned: failure of a request
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.aiven_tools.prometheus.plugins.module_utils import aiven
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._project_integration import (
    REQUIRED_IF,
    argument_spec,
    run,
)
from ansible_collections.aiven_tools.prometheus.plugins.plugin_utils._controller_run import (
    ControllerModule,
    given_options,
    missing_library,
    outcome,
)

NAME = "aiven_tools.prometheus.project_integration"

# The module's options with state=present that decide what is read and compared (DOCUMENTATION
# lists the same); the others write files, wait, or remove.
OPTIONS = frozenset([
    "api_token", "api_url", "project", "timeout", "validate_certs",
    "endpoint_name", "username", "password", "update_password", "return_password",
    "services", "query", "access", "access_outside_vpc",
])

display = Display()


def plan(terms, options, warn=None):
    """The module's check-mode result for state=present with `options` (given_options), or the
    dict it fails with; `warn(message)` gets its warnings."""
    if terms:
        return {"failed": True, "msg": "the %s lookup takes options only (project=..., services=[...]), "
                                       "not %d term(s)" % (NAME, len(terms))}
    if not aiven.HAS_REQUESTS:
        return {"failed": True, "msg": missing_library("the %s lookup" % NAME, "requests", aiven.REQUESTS_IMPORT_ERROR)}

    def module_run():
        module = ControllerModule(NAME, argument_spec(), options, accepted=OPTIONS, fixed={"state": "present"},
                                  warn=warn, required_if=REQUIRED_IF)
        run(module)
    return outcome(module_run)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        options = given_options(kwargs, variables)
        try:
            fail_on_error = boolean(options.pop("fail_on_error", True), strict=True)
        except TypeError as exc:
            raise AnsibleLookupError("project_integration: fail_on_error: %s" % exc)
        result = plan(terms, options, warn=lambda message: display.warning("project_integration lookup: " + message))
        if result.get("failed") and fail_on_error:
            raise AnsibleLookupError("project_integration: %s" % result["msg"])
        return [result]
