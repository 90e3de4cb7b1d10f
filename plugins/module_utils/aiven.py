# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one Aiven API client of this collection: auth, base URL, retries, errors and waits.

PRIVATE to the collection: it can change at any time. Every Aiven API path the collection uses
is in this file (see ../shared/aiven-api.md for the source of each shape).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import random
import re
import time

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported, this keeps sanity happy
    from urllib import quote  # type: ignore

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's Python
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:
    import jmespath

    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller's Python
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = exc

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._waiter import Waiter, WaitTimeout

COLLECTION_VERSION = "0.1.0"
DEFAULT_API_URL = "https://api.aiven.io"

# Aiven's schema for a prometheus endpoint's user_config (aiven-api.md 2.1).
USERNAME_RE = re.compile(r"^[a-z0-9\-@_]{5,32}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 256

# The access flags of port 9273: user_config.<flag>_access.prometheus (aiven-api.md 4.4, 5).
# public: reach a VPC service from the internet; private: a name that always resolves to private
# IPs; privatelink: AWS/Azure/Google private connections (one component set per connection).
PROMETHEUS_ACCESS = ("public", "private", "privatelink")

# Service types whose user_config schema has each flag (aiven-api.md 5, Aiven's go-api-schemas):
# flink has only privatelink; grafana, kafka_mirrormaker and thanos have none. Checked before any
# write so an unsupported type fails the whole call up front; the API's own 400 stays the
# authority for types added later.
_ALL_ACCESS_TYPES = frozenset(
    ["clickhouse", "dragonfly", "kafka", "kafka_connect", "mysql", "opensearch", "pg", "valkey"]
)
PROMETHEUS_ACCESS_TYPES = {
    "public": _ALL_ACCESS_TYPES,
    "private": _ALL_ACCESS_TYPES,
    "privatelink": _ALL_ACCESS_TYPES | frozenset(["flink"]),
}
PUBLIC_ACCESS_PROMETHEUS_TYPES = PROMETHEUS_ACCESS_TYPES["public"]

# Statuses worth another try, as Aiven's Go clients retry them (aiven-api.md 7.2): 408, 429 and
# every 5xx (501 by Aiven's own rule). A write may have taken effect before its error answer, so
# request() never re-sends a POST without first reading whether it did.
RETRY_STATUSES = frozenset([408, 429])

# POST right after a service was created can 404 for a moment (aiven-api.md 7.1, GEN retries it).
_SERVICE_LAG_RE = re.compile(r"Service \S+ does not exist")


def _retryable(method, status, message):
    if status in RETRY_STATUSES or 500 <= status <= 599:
        return True
    if status == 417 and method == "DELETE":  # a dependent resource is still pending
        return True
    return status == 404 and method == "POST" and bool(_SERVICE_LAG_RE.search(message or ""))


def _env_float(name, default):
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


def aiven_argument_spec(**module_options):
    """The options every API module shares (doc fragment aiven_tools.prometheus.aiven)."""
    spec = dict(
        api_token=dict(
            type="str", no_log=True, required=True,
            fallback=(env_fallback, ["AIVEN_TOKEN", "AIVEN_AUTH_TOKEN"]),
        ),
        api_url=dict(type="str", fallback=(env_fallback, ["AIVEN_WEB_URL"]), default=DEFAULT_API_URL),
        project=dict(type="str", required=True, fallback=(env_fallback, ["AIVEN_PROJECT"])),
        timeout=dict(type="float", default=30),
        validate_certs=dict(type="bool", default=True),
    )
    spec.update(module_options)
    return spec


class AivenAPIError(Exception):
    """One line a person can act on: what was asked, the HTTP status and Aiven's message.

    Never the raw body (it may hold credentials, aiven-api.md 7.1) and never the token.
    """

    def __init__(self, method, path, status, message, error_code=None):
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.error_code = error_code
        hint = _HINTS.get(status, "")
        where = "%s %s" % (method, path)
        if status is None:
            text = "Aiven API %s failed: %s" % (where, message)
        else:
            text = "Aiven API %s returned HTTP %s: %s" % (where, status, message)
        super(AivenAPIError, self).__init__(text + hint)


_HINTS = {
    401: " (check api_token / AIVEN_TOKEN: the token is missing, wrong or expired)",
    403: " (check api_token / AIVEN_TOKEN and that the token's user may access this project)",
}


def error_message(body, fallback):
    """Aiven's readable message from an error body of any of the shapes clients have seen.

    `message` is the summary; `errors` may be a list of objects, a list of strings or a string
    (go-client-codegen tests all three).
    """
    if not isinstance(body, dict):
        return fallback
    message = body.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    errors = body.get("errors")
    if isinstance(errors, str) and errors.strip():
        return errors.strip()
    if isinstance(errors, list):
        parts = []
        for item in errors:
            if isinstance(item, dict) and isinstance(item.get("message"), str):
                parts.append(item["message"])
            elif isinstance(item, str):
                parts.append(item)
        if parts:
            return "; ".join(parts)
    return fallback


def error_code(body):
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        for item in body["errors"]:
            if isinstance(item, dict) and item.get("error_code"):
                return item["error_code"]
    return None


def _path(*segments):
    # Every path parameter is quoted like Aiven's own clients do (aiven-api.md 1).
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


class AivenAPI:
    """Aiven REST API v1 client.

    Retries connection errors and the statuses _retryable() names with exponential backoff
    (honouring Retry-After), bounded by `max_attempts` and `retry_budget` seconds, as Aiven's
    own Go clients do (aiven-api.md 7.2). Writes are safe to retry: a POST is only re-sent after
    `reconcile` (a read) shows the first attempt did not take effect, so a lost or failed answer
    never becomes a duplicate (a POST without `reconcile` is never re-sent); a PUT sends the same
    values again; a DELETE whose retry finds the object gone counts as done. Retry knobs follow
    Aiven's Go client's environment variables.
    """

    def __init__(self, token, api_url=DEFAULT_API_URL, timeout=30, validate_certs=True,
                 max_attempts=None, wait_min=None, wait_max=None, retry_budget=None,
                 session=None, sleep=time.sleep, clock=time.monotonic):
        if not token:
            raise ValueError("an Aiven API token is required")
        self.base = (api_url or DEFAULT_API_URL).rstrip("/") + "/v1"
        self.timeout = timeout
        self.validate_certs = validate_certs
        retry_max = _env_float("AIVEN_CLIENT_RETRY_MAX", 6)
        self.max_attempts = int(max_attempts if max_attempts is not None else retry_max + 1)
        self.wait_min = wait_min if wait_min is not None else _env_float("AIVEN_CLIENT_RETRY_WAIT_MIN", 1.0)
        self.wait_max = wait_max if wait_max is not None else _env_float("AIVEN_CLIENT_RETRY_WAIT_MAX", 15.0)
        self.retry_budget = retry_budget if retry_budget is not None else 120.0
        self.sleep = sleep
        self.clock = clock
        self.session = session or requests.Session()
        self.session.headers.update({
            "Authorization": "aivenv1 " + token,
            "Content-Type": "application/json",
            "User-Agent": "aiven_tools.prometheus/%s" % COLLECTION_VERSION,
        })

    @classmethod
    def from_module(cls, module):
        params = module.params
        return cls(params["api_token"], api_url=params["api_url"], timeout=params["timeout"],
                   validate_certs=params["validate_certs"])

    # ---------------------------------------------------------------- transport

    def _backoff(self, attempt, retry_after):
        if retry_after is not None:
            return max(0.0, retry_after)
        delay = min(self.wait_max, self.wait_min * (2 ** (attempt - 1)))
        return delay * random.uniform(0.8, 1.0)  # jitter: parallel runs do not retry in step

    @staticmethod
    def _retry_after(response):
        value = response.headers.get("Retry-After") if response is not None else None
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            return None  # an HTTP date: fall back to our own backoff

    def request(self, method, path, params=None, body=None, reconcile=None):
        """Send one API call and return the parsed JSON body ({} for an empty one).

        `reconcile`: for POSTs, a callable that reads whether the object now exists and returns
        the answer the POST would have given (or None). It runs before a POST is re-sent.
        """
        url = self.base + path
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            response = None
            failure = None
            try:
                response = self.session.request(
                    method, url, params=params, json=body, timeout=self.timeout, verify=self.validate_certs,
                )
            except requests.exceptions.RequestException as exc:
                failure = _describe_connection_error(exc, self.base)
            if response is not None:
                if 200 <= response.status_code < 300:
                    return _json_or_empty(response)
                error = self._error(method, path, response)
                if method == "DELETE" and attempt > 1 and response.status_code == 404:
                    return {}  # an earlier attempt took effect before its answer failed
                if not _retryable(method, response.status_code, error.message):
                    raise error
            if method == "POST" and reconcile is None:
                # Without a way to tell whether it took effect, a POST is never sent twice.
                raise self._error(method, path, response) if response is not None else AivenAPIError(
                    method, path, None, failure)
            # Retryable: decide whether there is room for another attempt.
            retry_after = self._retry_after(response)
            delay = self._backoff(attempt, retry_after)
            elapsed = self.clock() - started
            if attempt >= self.max_attempts or elapsed + delay > self.retry_budget:
                if response is not None:
                    raise self._error(method, path, response, gave_up=attempt)
                raise AivenAPIError(method, path, None, "%s (gave up after %d attempts)" % (failure, attempt))
            self.sleep(delay)
            if method == "POST":
                existing = reconcile()
                if existing is not None:
                    return existing

    @staticmethod
    def _error(method, path, response, gave_up=None):
        try:
            body = response.json()
        except ValueError:
            body = None
        message = error_message(body, response.reason or "no message")
        if gave_up and gave_up > 1:
            message += " (gave up after %d attempts)" % gave_up
        return AivenAPIError(method, path, response.status_code, message, error_code(body))

    def get(self, path, **params):
        return self.request("GET", path, params=params or None)

    # ---------------------------------------------------------------- endpoints (aiven-api.md 2)

    def list_endpoints(self, project):
        body = self.get(_path("project", project, "integration_endpoint"))
        return body.get("service_integration_endpoints") or []

    def find_prometheus_endpoints(self, project, name_or_id):
        return [
            e for e in self.list_endpoints(project)
            if e.get("endpoint_type") == "prometheus" and name_or_id in (e.get("endpoint_name"), e.get("endpoint_id"))
        ]

    def get_endpoint(self, project, endpoint_id, include_secrets=False):
        body = self.get(_path("project", project, "integration_endpoint", endpoint_id),
                        include_secrets="true" if include_secrets else "false")
        return body["service_integration_endpoint"]

    def create_prometheus_endpoint(self, project, name, user_config):
        def reconcile():
            found = self.find_prometheus_endpoints(project, name)
            return {"service_integration_endpoint": found[0]} if found else None

        body = self.request(
            "POST", _path("project", project, "integration_endpoint"),
            body={"endpoint_name": name, "endpoint_type": "prometheus", "user_config": user_config},
            reconcile=reconcile,
        )
        return body["service_integration_endpoint"]

    def update_endpoint(self, project, endpoint_id, user_config):
        body = self.request("PUT", _path("project", project, "integration_endpoint", endpoint_id),
                            body={"user_config": user_config})
        return body.get("service_integration_endpoint")

    def delete_endpoint(self, project, endpoint_id):
        self.request("DELETE", _path("project", project, "integration_endpoint", endpoint_id))

    # ---------------------------------------------------------------- services (aiven-api.md 4, 5)

    def list_services(self, project):
        # One call returns every service with its embedded integrations and components: what
        # all the modules need, however many services there are.
        return self.get(_path("project", project, "service")).get("services") or []

    def get_service(self, project, service):
        return self.get(_path("project", project, "service", service))["service"]

    def update_service_user_config(self, project, service, user_config):
        body = self.request("PUT", _path("project", project, "service", service),
                            body={"user_config": user_config})
        return body.get("service")

    # ---------------------------------------------------------------- integrations (aiven-api.md 3)

    def create_prometheus_integration(self, project, service, endpoint_id):
        def reconcile():
            found = prometheus_integrations(self.get_service(project, service), endpoint_id)
            return {"service_integration": found[0]} if found else None

        body = self.request(
            "POST", _path("project", project, "integration"),
            body={"integration_type": "prometheus", "source_service": service,
                  "dest_endpoint_id": endpoint_id, "user_config": {}},
            reconcile=reconcile,
        )
        return body["service_integration"]

    def delete_integration(self, project, integration_id):
        self.request("DELETE", _path("project", project, "integration", integration_id))

    # ---------------------------------------------------------------- project CA (aiven-api.md 6)

    def get_project_ca(self, project):
        return self.get(_path("project", project, "kms", "ca"))["certificate"]

    # ---------------------------------------------------------------- waits

    def wait_for_services(self, project, ready, timeout, interval=2.0):
        """Poll the service list until `ready(services_by_name)` is true; return (that mapping,
        whether it became ready).

        One list call per round serves every service at once. It also sidesteps the early 404
        of GET /integration/{id} right after a create (aiven-api.md 3.3): an integration that is
        not listed yet simply counts as "not ready yet". The polling is the collection's one
        waiter (_waiter.py).
        """
        waiter = Waiter(timeout, interval, clock=self.clock, sleep=self.sleep)
        try:
            return waiter.wait(lambda: services_by_name(self.list_services(project)), ready,
                               "services of %s" % project), True
        except WaitTimeout as exc:
            return exc.last, False


def services_by_name(services):
    return dict((s["service_name"], s) for s in services)


def _json_or_empty(response):
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"result": body}


def _describe_connection_error(exc, base):
    kind = type(exc).__name__
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error talking to %s (%s); set validate_certs or fix the CA bundle" % (base, kind)
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer from %s in time (%s)" % (base, kind)
    return "cannot reach %s (%s)" % (base, kind)


# -------------------------------------------------------------------- pure helpers on API objects

def prometheus_integrations(service, endpoint_id=None):
    """The service's enabled prometheus integrations (to one endpoint, when given).

    The list also holds 'available, not enabled' placeholders with a null id: skip those.
    """
    return [
        i for i in service.get("service_integrations") or []
        if i.get("integration_type") == "prometheus" and i.get("service_integration_id")
        and (endpoint_id is None or i.get("dest_endpoint_id") == endpoint_id)
    ]


def prometheus_targets(service):
    """The service's prometheus components as scrape targets, one per route and usage.

    Rows of route privatelink carry the connection they belong to (aiven-api.md 4.2); the key
    is there, null, on the others, so every target has the same shape.
    """
    return [
        {"host": c.get("host"), "port": c.get("port"), "route": c.get("route"), "usage": c.get("usage"),
         "privatelink_connection_id": c.get("privatelink_connection_id")}
        for c in service.get("components") or []
        if c.get("component") == "prometheus"
    ]


def prometheus_access(service):
    """{public, private, privatelink: bool}: which access flags of port 9273 are on."""
    user_config = service.get("user_config") or {}
    return dict((flag, bool((user_config.get(flag + "_access") or {}).get("prometheus")))
                for flag in PROMETHEUS_ACCESS)


def public_access_prometheus(service):
    return prometheus_access(service)["public"]


def access_user_config(flags, on=True):
    """The sparse user_config that sets `flags` (aiven-api.md 5: Aiven merges, send only this)."""
    return dict((flag + "_access", {"prometheus": on}) for flag in flags)


def endpoint_port(endpoint):
    port = (endpoint.get("endpoint_config") or {}).get("client_port")
    try:
        return int(port) if port is not None else None
    except (TypeError, ValueError):
        return None


def service_view(service):
    """What a scrape job needs to know about a service, and nothing secret.

    Raw service objects hold passwords, URIs and keys (aiven-api.md 4): modules return this
    view instead, and JMESPath queries run over it, so a query cannot reach a secret either.
    """
    return {
        "service_name": service.get("service_name"),
        "service_type": service.get("service_type"),
        "state": service.get("state"),
        "plan": service.get("plan"),
        "cloud_name": service.get("cloud_name"),
        "project_vpc_id": service.get("project_vpc_id"),
        "node_count": service.get("node_count"),
        "nodes": [
            {"name": n.get("name"), "state": n.get("state"), "role": n.get("role")}
            for n in service.get("node_states") or []
        ],
        "tags": service.get("tags") or {},
        "public_access_prometheus": public_access_prometheus(service),
        "prometheus_access": prometheus_access(service),
        "prometheus_integrations": [
            {"id": i.get("service_integration_id"), "endpoint_id": i.get("dest_endpoint_id"),
             "endpoint_name": i.get("dest_endpoint"), "active": bool(i.get("active")),
             "enabled": bool(i.get("enabled"))}
            for i in prometheus_integrations(service)
        ],
        "targets": prometheus_targets(service),
        # Every DNS name the service's components list (all components, all routes): what a
        # hand-written scrape job may name, for the audit's unmanaged_job.
        "hosts": sorted(set(c.get("host") for c in service.get("components") or [] if c.get("host"))),
    }


class SelectionError(Exception):
    pass


def select_services(services, names=None, query=None):
    """The services named in `names` plus those a JMESPath `query` picks from the views.

    Keeps the project's order. Unknown names are an error naming all of them, so a typo in one
    name stops the whole call before anything is written.
    """
    by_name = dict((s.get("service_name"), s) for s in services)
    unknown = sorted(n for n in names or [] if n not in by_name)
    if unknown:
        raise SelectionError("unknown service(s) in this project: %s (the project has: %s)"
                             % (", ".join(unknown), ", ".join(sorted(by_name)) or "no services"))
    chosen = set(names or [])
    if query:
        if not HAS_JMESPATH:
            raise SelectionError(missing_required_lib("jmespath"))
        try:
            picked = jmespath.search(query, [service_view(s) for s in services])
        except jmespath.exceptions.JMESPathError as exc:
            # jmespath's message spans lines (expression, caret): fail_json messages are one line.
            raise SelectionError("query %r is not a valid JMESPath expression: %s" % (query, " ".join(str(exc).split())))
        if picked is None:
            picked = []
        if not isinstance(picked, list):
            raise SelectionError("query %r must give a list of services (e.g. \"[?service_type=='kafka']\"), got %s"
                                 % (query, type(picked).__name__))
        for item in picked:
            name = item.get("service_name") if isinstance(item, dict) else item
            if name not in by_name:
                raise SelectionError("query %r must give services or service names, got %r" % (query, item))
            chosen.add(name)
    return [s for s in services if s.get("service_name") in chosen]


def is_redacted(value):
    return value is None or value == "<redacted>"


def require_requests(module):
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))


def run_module(module, work):
    """Run `work(api)` for a module; every API error ends as one fail_json line."""
    require_requests(module)
    try:
        api = AivenAPI.from_module(module)
    except ValueError as exc:  # an empty token (e.g. -e with no value, or AIVEN_TOKEN="")
        module.fail_json(msg="%s: api_token is empty; set api_token, or the environment variable AIVEN_TOKEN "
                             "(or AIVEN_AUTH_TOKEN)" % exc)
    try:
        module.exit_json(**work(api))
    except AivenAPIError as exc:
        module.fail_json(msg=str(exc), status=exc.status, error_code=exc.error_code)
