# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Aiven's Prometheus integration and access flags on many services at once.

PRIVATE to the collection: it can change at any time. Shared by the service_integration and
project_integration modules: plan (every check before any write), apply, recover after a failed
write (read back, undo, read back), wait, and the per-service result rows.

One service list (aiven-api.md 4.5) serves every service: a run sends a request per service only
for the writes that service needs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import (
    PROMETHEUS_ACCESS,
    PROMETHEUS_ACCESS_TYPES,
    AivenAPIError,
    SelectionError,
    access_user_config,
    prometheus_access,
    prometheus_integrations,
    prometheus_targets,
    select_services,
    service_view,
    services_by_name,
)

ACTIONS = {"public": "enable_public_access", "private": "enable_private_access",
           "privatelink": "enable_privatelink_access"}

# Routes a wait waits for. PrivateLink rows appear per connection, and connections are made
# outside this API (aiven-api.md 4.4): a flag without a connection lists none, so never wait.
WAITED_ROUTES = ("public", "private")

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def selection_argument_spec():
    """Options shared with project_integration (doc fragment aiven_tools.prometheus.aiven.services)."""
    return dict(
        services=dict(type="list", elements="str"),
        query=dict(type="str"),
        access=dict(type="list", elements="str", default=[], choices=list(PROMETHEUS_ACCESS)),
        access_outside_vpc=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        wait_interval=dict(type="float", default=2),
    )


# ------------------------------------------------------------------ reading

def select(module, services):
    """The selected services (options services and query); an unknown name fails the task."""
    try:
        return select_services(services, module.params["services"], module.params["query"])
    except SelectionError as exc:
        module.fail_json(msg=str(exc))


def resolve_endpoint(module, api, project, wanted, absent_ok):
    """{id, name} of the endpoint given by name or ID (an ID costs no request); None when there
    is no such endpoint and `absent_ok`."""
    if UUID_RE.match(wanted):
        return {"id": wanted, "name": None}
    found = api.find_prometheus_endpoints(project, wanted)
    if not found:
        if absent_ok:
            return None
        module.fail_json(msg="project %s has no prometheus endpoint named %s; create it first with "
                         "aiven_tools.prometheus.integration_endpoint" % (project, wanted))
    if len(found) > 1:
        module.fail_json(msg="project %s has %d prometheus endpoints named %s; pass the endpoint ID instead"
                         % (project, len(found), wanted))
    return {"id": found[0]["endpoint_id"], "name": found[0]["endpoint_name"]}


def integrations_to(service, endpoint_id):
    """The service's integrations to the endpoint; none to an endpoint that does not exist yet."""
    return prometheus_integrations(service, endpoint_id) if endpoint_id else []


# ------------------------------------------------------------------ planning

def access_wanted(service, access, outside_vpc):
    """The access flags this service gets: only in a project VPC, unless `outside_vpc`.

    Outside a VPC the dynamic name is public already (aiven-api.md 4.4, 5: public_access is "for
    service nodes that are in a project VPC or another type of private network"). The same holds
    for private: the private name "always resolves to private IPs", and only a VPC's nodes have
    private IPs a Prometheus could reach, through peering (4.4); and PrivateLink connects to a
    VPC. So every flag follows the rule the public one always had.
    """
    if not (service.get("project_vpc_id") or outside_vpc):
        return []
    return [flag for flag in PROMETHEUS_ACCESS if flag in access]


def check_access(module, selected, access, outside_vpc):
    """Fail, before any write, naming each service whose type lacks a flag it would get."""
    problems, missing_flags = [], set()
    for service in selected:
        kind = service.get("service_type")
        missing = [f for f in access_wanted(service, access, outside_vpc) if kind not in PROMETHEUS_ACCESS_TYPES[f]]
        if missing:
            has = [f for f in PROMETHEUS_ACCESS if kind in PROMETHEUS_ACCESS_TYPES[f]]
            problems.append("%s (%s has %s)" % (service["service_name"], kind,
                                                ", ".join(has) + " only" if has else "no access flag"))
            missing_flags.update(missing)
    if problems:
        keys = ["%s_access.prometheus" % f for f in PROMETHEUS_ACCESS if f in missing_flags]
        module.fail_json(msg="%s %s not exist for service type(s) of %s; nothing was changed"
                         % (" and ".join(keys), "does" if len(keys) == 1 else "do", ", ".join(problems)))


def needed(service, endpoint_id, access, outside_vpc):
    """The writes the service needs, in the order they are made."""
    current = prometheus_access(service)
    actions = [ACTIONS[f] for f in access_wanted(service, access, outside_vpc) if not current[f]]
    if not integrations_to(service, endpoint_id):
        actions.append("create_integration")
    return actions


def plan_absent(selected, endpoint_id):
    return dict((s["service_name"], ["delete_integration"] if integrations_to(s, endpoint_id) else [])
                for s in selected)


def snapshot(service, endpoint_id):
    """What this module manages on a service: the diff's per-service state."""
    state = {"prometheus_integration": bool(integrations_to(service, endpoint_id))}
    for flag, on in prometheus_access(service).items():
        state["%s_access_prometheus" % flag] = on
    return state


def plan_diff(selected, endpoint_id, plan):
    before, after = {}, {}
    for service in selected:
        name = service["service_name"]
        before[name] = snapshot(service, endpoint_id)
        after[name] = dict(before[name])
        for action in plan[name]:
            if action == "create_integration":
                after[name]["prometheus_integration"] = True
            elif action == "delete_integration":
                after[name]["prometheus_integration"] = False
            else:
                after[name][action[len("enable_"):] + "_prometheus"] = True
    return {"before": before, "after": after}


# ------------------------------------------------------------------ writing and recovering

# ------------------------------------------------------------------ after a failed write

def differences(before, now, endpoint_id):
    """What changed between two reads, per service name of `before`:
    {name: {"created": [integration ids], "removed": [...], "enabled": [flags], "disabled": [...]}}."""
    changes = {}
    for name, old in before.items():
        new = now.get(name)
        if new is None:
            continue
        old_ids = set(i["service_integration_id"] for i in integrations_to(old, endpoint_id))
        new_ids = set(i["service_integration_id"] for i in integrations_to(new, endpoint_id))
        old_access, new_access = prometheus_access(old), prometheus_access(new)
        change = {"created": sorted(new_ids - old_ids), "removed": sorted(old_ids - new_ids),
                  "enabled": [f for f in PROMETHEUS_ACCESS if new_access[f] and not old_access[f]],
                  "disabled": [f for f in PROMETHEUS_ACCESS if old_access[f] and not new_access[f]]}
        if any(change.values()):
            changes[name] = change
    return changes


def describe(changes):
    """'integration of a, public_access of b' for a differences() mapping."""
    parts = []
    for name in sorted(changes):
        change = changes[name]
        parts.extend("%s_access of %s" % (flag, name) for flag in change["enabled"] + change["disabled"])
        if change["created"] or change["removed"]:
            parts.append("integration of %s" % name)
    return ", ".join(parts)


# ------------------------------------------------------------------ waiting and results

def ready(service, endpoint_id, access, outside_vpc):
    """Integration active, targets listed, and the route of every waited access flag too."""
    integrations = integrations_to(service, endpoint_id)
    if not integrations or not all(i.get("active") for i in integrations):
        return False
    routes = set(t["route"] for t in prometheus_targets(service))
    if not routes:
        return False
    if not service.get("project_vpc_id"):
        return True  # Aiven lists no other route outside a VPC (access_wanted)
    return all(f in routes for f in access_wanted(service, access, outside_vpc) if f in WAITED_ROUTES)


def pending(services, names, endpoint_id, access, outside_vpc):
    """Names still to wait for. A service that is not RUNNING never is (issue 11.2): powered off
    it has no nodes, rebuilding or rebalancing it lists its targets again once it is running."""
    return [n for n in names if n in services and services[n].get("state") == "RUNNING"
            and not ready(services[n], endpoint_id, access, outside_vpc)]


def result_row(service, endpoint_id, actions):
    """service_info's view of the service plus its integration to the endpoint and the actions."""
    row = service_view(service)
    integrations = integrations_to(service, endpoint_id)
    row.update(integration_id=integrations[0]["service_integration_id"] if integrations else None,
               active=bool(integrations and integrations[0].get("active")), actions=actions)
    return row


def skipped_rows(services, endpoint_id, access, outside_vpc):
    """{service, state, reason} for every service that is not RUNNING: never waited for."""
    rows = []
    for service in services:
        state = service.get("state")
        if state == "RUNNING":
            continue
        if state == "POWEROFF" and needed(service, endpoint_id, access, outside_vpc):
            reason = "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on"
        elif state == "POWEROFF":
            reason = "powered off: no nodes to scrape until it is powered on"
        else:
            reason = "%s: not waited for; its targets are listed again once it is RUNNING" % state
        rows.append({"service": service["service_name"], "state": state, "reason": reason})
    return rows


def warn_skipped(module, skipped):
    if skipped:
        module.warn("not waited for, as they are not running: %s (see skipped_services)"
                    % ", ".join("%s (%s)" % (row["service"], row["state"]) for row in skipped))


class Integrations(object):
    """The prometheus integrations of one project to one endpoint, and the access flags.

    `endpoint_id` may be None while the endpoint is only planned (check mode); set it once it
    exists. A failure result carries `msg`, `changed`, `services` (and `status` after an API
    error), never the endpoint: a caller that registers the result with failed_when false tells a
    failure from a success by the endpoint's absence (the role does).
    """

    def __init__(self, module, api, project, endpoint_id, access=(), outside_vpc=False):
        self.module = module
        self.api = api
        self.project = project
        self.endpoint_id = endpoint_id
        self.access = list(access)
        self.outside_vpc = outside_vpc
        self.done_before = None  # what the caller changed already, e.g. "endpoint prometheus created"
        self.last_read = None  # every service of the project by name, as read after the writes

    def plan_present(self, selected):
        """{service name: actions}, after every check. A powered-off service gets none (see
        skipped_rows): it has no nodes to scrape, and Aiven answers some calls on it with 503
        (aiven-api.md 4.1, 7.1), so it is left as it is until it runs again."""
        check_access(self.module, selected, self.access, self.outside_vpc)
        return dict((s["service_name"], [] if s.get("state") == "POWEROFF" else self._needed(s)) for s in selected)

    def _needed(self, service):
        return needed(service, self.endpoint_id, self.access, self.outside_vpc)

    def _pending(self, services, names):
        return pending(services, names, self.endpoint_id, self.access, self.outside_vpc)

    def _rows(self, services, plan):
        return [result_row(s, self.endpoint_id, plan.get(s["service_name"], [])) for s in services]

    def _fail(self, msg, changed, error=None, **result):
        if error is not None:
            result["status"] = error.status
        if self.done_before:
            msg += "; kept: %s" % self.done_before
        self.module.fail_json(msg=msg, changed=changed or bool(self.done_before), **result)

    # ---------------------------------------------------------------- present

    def run_present(self, selected, plan):
        """Carry out plan_present's plan; {"changed", "diff", "services", "skipped_services"}."""
        changed = any(plan.values())
        result = {"changed": changed, "diff": plan_diff(selected, self.endpoint_id, plan)}
        final = selected
        if not self.module.check_mode:
            if changed:
                try:
                    self._apply_present(plan)
                except AivenAPIError as exc:
                    self._recover_present(selected, exc)
            final = self._wait(selected, plan, changed)
        result["services"] = self._rows(final, plan)
        result["skipped_services"] = skipped_rows(final, self.endpoint_id, self.access, self.outside_vpc)
        warn_skipped(self.module, result["skipped_services"])
        return result

    def _apply_present(self, plan):
        # Access flags first (one PUT per service for all of them), then the integrations, so a
        # failure part way leaves the fewest integrations to undo.
        for name, actions in plan.items():
            flags = [f for f in PROMETHEUS_ACCESS if ACTIONS[f] in actions]
            if flags:
                self.api.update_service_user_config(self.project, name, access_user_config(flags))
        for name, actions in plan.items():
            if "create_integration" in actions:
                self.api.create_prometheus_integration(self.project, name, self.endpoint_id)

    def _read_back(self, before, error):
        """The project's services by name; a failed read ends the task saying so."""
        try:
            return services_by_name(self.api.list_services(self.project))
        except AivenAPIError as exc:
            self._fail("%s; reading back what took effect failed too (%s): check %s by hand"
                       % (error, exc, ", ".join(sorted(before))), True, error)

    def _undo(self, changes):
        """Take back what `changes` did (created integrations, enabled flags), as far as it goes;
        the errors met. The read that follows, not these, says what is left."""
        errors = []
        for name in sorted(changes):
            for integration_id in changes[name]["created"]:
                try:
                    self.api.delete_integration(self.project, integration_id)
                except AivenAPIError as exc:
                    errors.append(exc)
            if changes[name]["enabled"]:
                try:
                    self.api.update_service_user_config(self.project, name,
                                                        access_user_config(changes[name]["enabled"], on=False))
                except AivenAPIError as exc:
                    errors.append(exc)
        return errors

    def _recover_present(self, selected, error):
        """A write failed, maybe after it took effect (issue 11.6): read back, undo what took
        effect, read back again, and fail with a message and `changed` matching what the project
        now holds. Never returns."""
        before = services_by_name(selected)
        took_effect = differences(before, self._read_back(before, error), self.endpoint_id)
        undo_errors = self._undo(took_effect)
        final = self._read_back(before, error)
        left = differences(before, final, self.endpoint_id)
        if not took_effect:
            outcome = "nothing was changed (read back from Aiven)"
        elif not left:
            outcome = "undid what had taken effect: %s; nothing is left changed (read back from Aiven)" % describe(
                took_effect)
        else:
            outcome = "could NOT undo %s (still in place, read back from Aiven%s): fix by hand" % (
                describe(left), "; the undo met: %s" % undo_errors[0] if undo_errors else "")
        self._fail("%s; %s" % (error, outcome), bool(left), error,
                   services=self._rows([final.get(n, s) for n, s in before.items()], {}))

    def _wait(self, selected, plan, changed):
        """The selected services after the writes: waited for (option wait) when something
        changed or is not ready yet, read once when something changed, else as they were read."""
        params = self.module.params
        names = [s["service_name"] for s in selected]
        current = services_by_name(selected)
        if params["wait"] and (changed or self._pending(current, names)):
            current, done = self.api.wait_for_services(self.project, lambda now: not self._pending(now, names),
                                                       params["wait_timeout"], params["wait_interval"])
            self.last_read = current
            if not done:
                final = [current.get(n, s) for n, s in services_by_name(selected).items()]
                self._fail("the Prometheus integration is enabled but not active with targets after %ss for: %s; "
                           "re-run to wait again" % (params["wait_timeout"], ", ".join(self._pending(current, names))),
                           changed, services=self._rows(final, plan),
                           skipped_services=skipped_rows(final, self.endpoint_id, self.access, self.outside_vpc))
        elif changed:
            current = self.last_read = services_by_name(self.api.list_services(self.project))
        return [current.get(n, s) for n, s in services_by_name(selected).items()]

    # ---------------------------------------------------------------- absent

    def run_absent(self, selected):
        """Remove the selected services' integrations to the endpoint; same result keys."""
        plan = plan_absent(selected, self.endpoint_id)
        changed = any(plan.values())
        result = {"changed": changed, "diff": plan_diff(selected, self.endpoint_id, plan), "skipped_services": []}
        final = selected
        if changed and not self.module.check_mode:
            try:
                for service in selected:
                    for integration in integrations_to(service, self.endpoint_id):
                        self.api.delete_integration(self.project, integration["service_integration_id"])
            except AivenAPIError as exc:
                self._recover_absent(selected, exc)
            self.last_read = services_by_name(self.api.list_services(self.project))
            final = [self.last_read.get(s["service_name"], s) for s in selected]
        result["services"] = self._rows(final, plan)
        return result

    def _recover_absent(self, selected, error):
        """A delete failed: say, from a fresh read, which integrations are gone and which are not."""
        before = services_by_name(selected)
        now = self._read_back(before, error)
        removed = differences(before, now, self.endpoint_id)
        remaining = sorted(n for n in before if n in now and integrations_to(now[n], self.endpoint_id))
        self._fail("%s; removed: %s; still present: %s (re-run to remove them)"
                   % (error, describe(removed) or "nothing", ", ".join(remaining) or "nothing"),
                   bool(removed), error, services=self._rows([now.get(n, s) for n, s in before.items()], {}))
