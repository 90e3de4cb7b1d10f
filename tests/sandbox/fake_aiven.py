"""A local fake of the Aiven REST API, as described in ../shared/aiven-api.md.

It is the only stand-in for Aiven on these machines, so it follows that document closely
(paths under /v1, response wrapping keys, `<redacted>` secrets, placeholder integrations,
the early 404 after creating an integration, Aiven error bodies). Where the document marks
a behaviour [UNCONFIRMED], the fake picks the stricter choice, so that a client that works
here also works against either possible real behaviour. Each such choice has a comment.

In process:
    fake = FakeAiven(); fake.add_project("acme"); fake.add_service("acme", "pg-orders", "pg", 2)
    url = fake.start()          # "http://127.0.0.1:PORT"; clients use url + "/v1/..."
Out of process (README demo, benchmarks):
    python tests/sandbox/fake_aiven.py --port 0 --project acme --service pg-orders:pg:2 \
        --service kafka-events:kafka:3:vpc:privatelink --service pg-night:pg:1:poweroff
prints one JSON line (api_url, token, project, services), then serves until SIGTERM/SIGINT.
Control routes under /_sandbox/ (no token) drive the out-of-process fake like the methods.
"""
import argparse
import contextlib
import copy
import datetime
import http
import http.server
import json
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
import uuid
import zlib

REDACTED = "<redacted>"

# What the fake knows about each service type.
#   components: non-prometheus component names, main one first.
#   replica_dns: the type has a `replica-` DNS name covering standbys (aiven-api.md 4.4).
#   prometheus_access: the access flags for port 9273 the type's user_config schema has
#     (public_access.prometheus, private_access.prometheus, privatelink_access.prometheus;
#     aiven-api.md 4.4 and 5): all three for most types, only privatelink for flink, none for
#     grafana, kafka_mirrormaker and thanos.
#   uri: scheme of service_uri; None means a plain host:port URI without credentials.
#   version: (user_config key, default version, latest version) or None.
ALL_ACCESS = ("public", "private", "privatelink")
SERVICE_TYPES = {
    "pg": dict(description="PostgreSQL - Object-Relational Database Management System",
               components=("pg", "pgbouncer"), replica_dns=True, prometheus_access=ALL_ACCESS,
               uri="postgres", version=("pg_version", "16", "17")),
    "mysql": dict(description="MySQL - Relational Database Management System",
                  components=("mysql",), replica_dns=True, prometheus_access=ALL_ACCESS,
                  uri="mysql", version=("mysql_version", "8", "8")),
    "kafka": dict(description="Kafka - High-Throughput Distributed Messaging System",
                  components=("kafka",), replica_dns=False, prometheus_access=ALL_ACCESS,
                  uri=None, version=("kafka_version", "3.8", "3.9")),
    "kafka_connect": dict(description="Kafka Connect - Kafka Connect service",
                          components=("kafka_connect",), replica_dns=False, prometheus_access=ALL_ACCESS,
                          uri="https", version=None),
    "kafka_mirrormaker": dict(description="Kafka MirrorMaker - Kafka MirrorMaker 2 service",
                              components=("kafka_mirrormaker",), replica_dns=False,
                              prometheus_access=(), uri=None, version=None),
    "valkey": dict(description="Valkey - In-Memory Data Structure Store",
                   components=("valkey",), replica_dns=True, prometheus_access=ALL_ACCESS,
                   uri="rediss", version=None),
    "redis": dict(description="Redis - In-Memory Data Structure Store",
                  components=("redis",), replica_dns=True, prometheus_access=(),
                  uri="rediss", version=None),
    "caching": dict(description="Caching - In-Memory Data Structure Store",
                    components=("redis",), replica_dns=True, prometheus_access=(),
                    uri="rediss", version=None),
    "dragonfly": dict(description="Dragonfly - In-Memory Data Structure Store",
                      components=("dragonfly",), replica_dns=False, prometheus_access=ALL_ACCESS,
                      uri="rediss", version=None),
    "opensearch": dict(description="OpenSearch - Search & Analyze Data in Real Time",
                       components=("opensearch", "opensearch_dashboards"), replica_dns=False,
                       prometheus_access=ALL_ACCESS, uri="https", version=("opensearch_version", "2", "2")),
    "clickhouse": dict(description="ClickHouse - Fast Columnar Data Warehouse",
                       components=("clickhouse", "clickhouse_https"), replica_dns=False,
                       prometheus_access=ALL_ACCESS, uri="https", version=None),
    "grafana": dict(description="Grafana - Metrics Dashboard",
                    components=("grafana",), replica_dns=False, prometheus_access=(),
                    uri="https", version=None),
    "flink": dict(description="Flink - Stream Processing",
                  components=("flink",), replica_dns=False, prometheus_access=("privatelink",),
                  uri="https", version=None),
    "thanos": dict(description="Thanos - Highly available Prometheus",
                   components=("query_frontend",), replica_dns=False, prometheus_access=(),
                   uri="https", version=None),
}

PROMETHEUS_USER_CONFIG_SCHEMA = {
    "type": "object",
    "title": "Prometheus endpoint user config",
    "additionalProperties": False,
    "properties": {
        "basic_auth_username": {
            "type": "string", "title": "Prometheus basic authentication username",
            "minLength": 5, "maxLength": 32, "pattern": "^[a-z0-9\\-@_]{5,32}$", "example": "prom4851",
            "user_error": "Must be 5-32 characters long and may contain only lower case letters and numbers.",
        },
        "basic_auth_password": {
            "type": "string", "title": "Prometheus basic authentication password",
            "minLength": 8, "maxLength": 256, "example": "fhyFNBjj3R", "_secure": True,
            "user_error": "Must be 8-256 characters long.",  # invented: the schema gives no user_error
        },
    },
}

# Section 2.7. `external_prometheus` is a different thing (a remote-write target) whose name
# contains "prometheus": it is here so tests can prove clients filter on the exact type.
ENDPOINT_TYPES = [
    {
        "endpoint_type": "prometheus",
        "title": "Prometheus",
        "service_types": sorted(SERVICE_TYPES),
        "user_config_schema": PROMETHEUS_USER_CONFIG_SCHEMA,
    },
    {
        "endpoint_type": "external_prometheus",
        "title": "External Prometheus",
        "service_types": sorted(SERVICE_TYPES),
        "user_config_schema": {
            "type": "object", "title": "External Prometheus endpoint user config",
            "additionalProperties": False, "required": ["service_uri"],
            "properties": {
                "basic_auth_username": dict(PROMETHEUS_USER_CONFIG_SCHEMA["properties"]["basic_auth_username"]),
                "basic_auth_password": dict(PROMETHEUS_USER_CONFIG_SCHEMA["properties"]["basic_auth_password"]),
                "service_uri": {"type": "string", "title": "Prometheus remote write URI", "maxLength": 2048},
            },
        },
    },
]

# aiven-api.md 4.1. A POWEROFF service has no nodes: it lists no components and no node_states
# (its configuration and integrations are kept, as Aiven keeps them while it is off).
SERVICE_STATES = ("RUNNING", "POWEROFF", "REBUILDING", "REBALANCING")

FAULT_MESSAGES = {
    429: "Too many requests",
    503: "An error occurred. Please try again later.",  # the text aiven-api.md 7.1 quotes
}


class ApiError(Exception):
    """An Aiven error answer: body {"message", "errors": [{"message", "status", "error_code"?}]}."""

    def __init__(self, status, message, error_code=None):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.error_code = error_code

    def body(self):
        return error_body(self.status, self.message, self.error_code)


def error_body(status, message, error_code=None):
    error = {"message": message, "status": status}
    if error_code:
        error["error_code"] = error_code
    return {"errors": [error], "message": message}


def service_hosts(name, project, domain, privatelink=0):
    """DNS names of a service: what the component rows and the sandbox DNS use.

    A flat {key: host name}: primary, replica, public(_replica), private(_replica), and for each
    of the service's `privatelink` connections N (1, 2, ...) privatelink_N(_replica).
    """
    base = "%s-%s.%s" % (name, project, domain)
    hosts = {"primary": base, "replica": "replica-" + base,
             "public": "public-" + base, "public_replica": "public-replica-" + base,
             # [INFERRED] (aiven-api.md 4.4): private names follow the public- pattern.
             "private": "private-" + base, "private_replica": "private-replica-" + base}
    for number in range(1, int(privatelink) + 1):
        # [INFERRED] (aiven-api.md 4.4 lists route privatelink with a privatelink_connection_id
        # but no host): one name per connection, numbered like the console shows them.
        hosts["privatelink_%d" % number] = "privatelink-%d-%s" % (number, base)
        hosts["privatelink_%d_replica" % number] = "privatelink-%d-replica-%s" % (number, base)
    return hosts


def merge_config(base, patch):
    """Aiven-style sparse update: nested dicts merge, null removes a key (aiven-api.md 5)."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            current = merged.get(key)
            merged[key] = merge_config(current if isinstance(current, dict) else {}, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


_JSON_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list,
               "integer": int, "number": (int, float), "null": type(None)}


def _is_json_type(value, name):
    # bool is an int subclass in Python, but true is not a number in JSON.
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[name])


def schema_error(value, schema, where="user_config"):
    """The first violation of the small JSON-schema subset the catalogues use, or None.

    Message texts are invented (aiven-api.md 9.12: whether the API repeats the schema's
    `user_error` word for word is [UNCONFIRMED]); they follow 9.12's "Invalid input for X: ..."."""
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    if types and not any(_is_json_type(value, name) for name in types):
        return "Invalid input for %s: expected %s" % (where, " or ".join(types))
    if isinstance(value, str):
        too_short = len(value) < schema.get("minLength", 0)
        too_long = len(value) > schema.get("maxLength", len(value))
        mismatch = "pattern" in schema and not re.search(schema["pattern"], value)
        if too_short or too_long or mismatch:
            return "Invalid input for %s: %s" % (where, schema.get("user_error", "invalid value"))
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                return "Invalid input for %s: missing required property '%s'" % (where, key)
        for key, item in value.items():
            if key not in properties:
                if schema.get("additionalProperties", True) is False:
                    return "Invalid input for %s: additional property '%s' is not allowed" % (where, key)
                continue
            nested = key if where == "user_config" else where + "." + key
            problem = schema_error(item, properties[key], nested)
            if problem:
                return problem
    if isinstance(value, list) and "items" in schema:
        for item in value:
            problem = schema_error(item, schema["items"], where)
            if problem:
                return problem
    return None


def _access_schema(title, option_title, components):
    """One boolean per component: the shape of public_access, private_access, privatelink_access."""
    return {"type": "object", "additionalProperties": False, "title": title,
            "properties": {name: {"type": "boolean", "title": option_title % name} for name in components}}


# The three access flags: user_config key, schema title, per-component option title.
ACCESS_SCHEMAS = {
    "public": ("public_access", "Allow access to selected service ports from the public Internet",
               "Allow clients to connect to %s from the public internet for service nodes that are in a "
               "project VPC or another type of private network"),
    # [INFERRED] for the component list (aiven-api.md 4.4): the same ports as public_access.
    "private": ("private_access", "Allow access to selected service components through Private DNS",
                "Allow clients to connect to %s with a DNS name that always resolves to the service's "
                "private IP addresses. Only available in certain network locations"),
    # [INFERRED] likewise; only the types with privatelink_access.prometheus have the object here.
    "privatelink": ("privatelink_access", "Allow access to selected service components through Privatelink",
                    "Enable %s"),
}


def service_user_config_schema(service_type):
    """The user_config schema avn reads from GET service-types/{type} (aiven-api.md 10)."""
    kind = SERVICE_TYPES[service_type]
    properties = {
        "ip_filter": {"type": "array", "title": "IP filter", "maxItems": 8000,
                      "items": {"type": "string", "title": "CIDR address block"}},
    }
    for access, (key, title, option_title) in ACCESS_SCHEMAS.items():
        if access == "privatelink" and access not in kind["prometheus_access"]:
            continue
        exposed = list(kind["components"]) + (["prometheus"] if access in kind["prometheus_access"] else [])
        properties[key] = _access_schema(title, option_title, exposed)
    if kind["version"]:
        properties[kind["version"][0]] = {"type": ["string", "null"], "title": "Major version"}
    # Aiven's service schemas refuse unknown keys, e.g. privatelink_access on grafana.
    return {"type": "object", "title": "%s user config" % service_type, "additionalProperties": False,
            "properties": properties}


def redact(value, secret_values):
    """Replace every secret, also inside URIs, with `<redacted>`."""
    if isinstance(value, dict):
        return {key: redact(item, secret_values) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, secret_values) for item in value]
    if isinstance(value, str):
        for secret in secret_values:
            value = value.replace(secret, REDACTED)
    return value


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _truthy_query(query, key):
    return query.get(key, "").lower() == "true"


@contextlib.contextmanager
def running(token, services, project="acme", ca_pem=None, **options):
    """A started FakeAiven with one project holding `services`, each (name, type, nodes[, vpc id]);
    stopped on exit. `options` go to FakeAiven (latency, ...)."""
    fake = FakeAiven(token=token, **options)
    fake.add_project(project, ca_pem=ca_pem)
    for name, service_type, node_count, *vpc_id in services:
        fake.add_service(project, name, service_type=service_type, node_count=node_count,
                         project_vpc_id=vpc_id[0] if vpc_id else None)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


class FakeAiven:
    """State, routes and HTTP server of the fake Aiven API."""

    def __init__(self, token="sandbox-token", domain="aiven.test", prometheus_port=9273,
                 latency=0.0, early_404_reads=1, activation_reads=1):
        self.token = token
        self.domain = domain
        self.prometheus_port = prometheus_port
        self.latency = latency
        self.early_404_reads = early_404_reads
        self.activation_reads = activation_reads
        self.projects = {}
        self._requests = []
        self._faults = []
        self._lock = threading.RLock()
        self._server = None
        self._thread = None
        self.url = None
        # One table of routes: method, path pattern, handler.
        project = "/v1/project/(?P<project>[^/]+)"
        self._routes = [
            ("GET", project + "/integration_endpoint_types", self._list_endpoint_types),
            ("GET", project + "/integration_endpoint", self._list_endpoints),
            ("POST", project + "/integration_endpoint", self._create_endpoint),
            ("GET", project + "/integration_endpoint/(?P<endpoint_id>[^/]+)", self._get_endpoint),
            ("PUT", project + "/integration_endpoint/(?P<endpoint_id>[^/]+)", self._update_endpoint),
            ("DELETE", project + "/integration_endpoint/(?P<endpoint_id>[^/]+)", self._delete_endpoint),
            ("POST", project + "/integration", self._create_integration),
            ("GET", project + "/integration/(?P<integration_id>[^/]+)", self._get_integration),
            ("PUT", project + "/integration/(?P<integration_id>[^/]+)", self._update_integration),
            ("DELETE", project + "/integration/(?P<integration_id>[^/]+)", self._delete_integration),
            ("GET", project + "/service", self._list_services),
            ("GET", project + "/service/(?P<service>[^/]+)", self._get_service),
            ("PUT", project + "/service/(?P<service>[^/]+)", self._update_service),
            ("GET", project + "/service/(?P<service>[^/]+)/integration", self._list_service_integrations),
            ("GET", project + "/service-types/(?P<service_type>[^/]+)", self._get_service_type),
            ("GET", project + "/kms/ca", self._get_ca),
            ("GET", "/_sandbox/requests", self._sandbox_requests),
            ("POST", "/_sandbox/clear", self._sandbox_clear),
            ("POST", "/_sandbox/faults", self._sandbox_faults),
            ("POST", "/_sandbox/latency", self._sandbox_latency),
            ("POST", "/_sandbox/services", self._sandbox_services),
            ("POST", "/_sandbox/service_state", self._sandbox_service_state),
            ("POST", "/_sandbox/privatelink", self._sandbox_privatelink),
        ]
        self._routes = [(method, re.compile(pattern + "$"), handler) for method, pattern, handler in self._routes]

    # ----- setup and inspection (in process) -----

    def add_project(self, name, ca_pem=None):
        """Add a project; returns its stored dict. ca_pem None: a fresh trustme CA."""
        if ca_pem is None:
            import trustme  # only needed when the caller brings no CA of its own
            ca_pem = trustme.CA().cert_pem.bytes().decode()
        with self._lock:
            if name in self.projects:
                raise ValueError("project %r already exists" % name)
            self.projects[name] = {"project_name": name, "ca_pem": ca_pem, "services": {},
                                   "endpoints": {}, "integrations": {},
                                   "privatelink": {}}  # service name -> [connection id]
            return self.projects[name]

    def add_service(self, project, name, service_type="pg", node_count=1, project_vpc_id=None, state="RUNNING",
                    privatelink=0):
        """Add a service; returns the stored dict (secrets in clear; views derive the rest)."""
        if service_type not in SERVICE_TYPES:
            raise ValueError("unknown service type %r (known: %s)" % (service_type, ", ".join(sorted(SERVICE_TYPES))))
        if int(node_count) < 1:
            raise ValueError("node_count must be at least 1")
        if int(privatelink) and not project_vpc_id:
            raise ValueError("PrivateLink needs a service in a project VPC; %r is not in one" % name)
        kind = SERVICE_TYPES[service_type]
        host = service_hosts(name, project, self.domain)["primary"]
        port = 10000 + zlib.crc32(("%s/%s" % (project, name)).encode()) % 20000
        password = "AVNS_" + secrets.token_urlsafe(15)
        if kind["uri"]:
            uri_params = {"host": host, "port": str(port), "user": "avnadmin", "password": password}
            if service_type in ("pg", "mysql"):
                uri_params.update(dbname="defaultdb", sslmode="require" if service_type == "pg" else "REQUIRED")
            service_uri = "%s://avnadmin:%s@%s:%d" % (kind["uri"], password, host, port)
            if "dbname" in uri_params:
                service_uri += "/defaultdb?%s=%s" % (
                    "sslmode" if service_type == "pg" else "ssl-mode", uri_params["sslmode"])
        else:
            uri_params = {"host": host, "port": str(port)}
            service_uri = "%s:%d" % (host, port)
        public_access = {component: False for component in kind["components"]}
        if "public" in kind["prometheus_access"]:
            public_access["prometheus"] = False
        user_config = {"ip_filter": ["0.0.0.0/0"], "public_access": public_access}
        if kind["version"]:
            user_config[kind["version"][0]] = kind["version"][1]
        now = _now()
        service = {
            "service_name": name,
            "service_type": service_type,
            "state": state,
            "plan": "business-4" if int(node_count) > 1 else "startup-4",
            "cloud_name": "google-europe-west1",
            "cloud_description": "Europe, Belgium - Google Cloud: Belgium",
            "project_vpc_id": project_vpc_id,
            "service_uri": service_uri,
            "service_uri_params": uri_params,
            "node_count": int(node_count),
            "node_cpu_count": 2,
            "node_memory_mb": 4096,
            "disk_space_mb": 81920,
            "user_config": user_config,
            "users": [{"username": "avnadmin", "password": password, "type": "primary"}],
            "databases": ["defaultdb"] if "dbname" in uri_params else [],
            "maintenance": {"dow": "sunday", "time": "03:00:00", "enabled": True, "updates": []},
            "termination_protection": False,
            "group_list": ["default"],
            "tags": {},
            "create_time": now,
            "update_time": now,
        }
        with self._lock:
            services = self._project(project)["services"]
            if name in services:
                raise ValueError("service %r already exists in project %r" % (name, project))
            if state not in SERVICE_STATES:
                raise ValueError("state must be one of %s, not %r" % (", ".join(SERVICE_STATES), state))
            services[name] = service
            for dummy in range(int(privatelink)):
                self.add_privatelink_connection(project, name)
            return service

    def set_service_state(self, project, name, state):
        """Power a service off (POWEROFF), on (RUNNING), or put it in REBUILDING/REBALANCING."""
        if state not in SERVICE_STATES:
            raise ValueError("state must be one of %s, not %r" % (", ".join(SERVICE_STATES), state))
        with self._lock:
            service = self._project(project)["services"].get(name)
            if service is None:
                raise ValueError("no service %r in project %r" % (name, project))
            service.update(state=state, update_time=_now())
            return service

    def add_privatelink_connection(self, project, name, connection_id=None):
        """Give a VPC service one more PrivateLink connection; returns its id.

        Connections are made outside the API this fake serves (a cloud's endpoint service,
        `avn service privatelink ...`): tests add them here. Once privatelink_access.prometheus
        is on, the service lists one privatelink prometheus row set per connection."""
        with self._lock:
            stored = self._project(project)
            service = stored["services"].get(name)
            if service is None:
                raise ValueError("no service %r in project %r" % (name, project))
            if not service["project_vpc_id"]:
                raise ValueError("PrivateLink needs a service in a project VPC; %r is not in one" % name)
            connection_id = connection_id or "plc" + uuid.uuid4().hex[:16]
            stored["privatelink"].setdefault(name, []).append(connection_id)
            return connection_id

    def service_hosts(self, project, name):
        """service_hosts() for a service of this fake, its PrivateLink names included."""
        with self._lock:
            connections = self._project(project)["privatelink"].get(name, [])
            return service_hosts(name, project, self.domain, privatelink=len(connections))

    def inject_fault(self, status=429, times=3, method=None, path=None, retry_after=None,
                     message=None, apply_first=False, after=0):
        """Answer the next `times` matching API requests with `status` (Aiven error body).

        path: regex searched in the URL path. apply_first: perform the request, then answer
        with the fault: a write that took effect answered with an error (500), or a lost
        response (502/504). A client's retried POST must not create a duplicate, and a client
        that gives up must read back before it reports what happened (aiven-api.md 7.2).
        after: let that many matching requests through first (e.g. fail the second create)."""
        if int(times) < 1:
            raise ValueError("times must be at least 1")
        if int(after) < 0:
            raise ValueError("after must be at least 0")
        with self._lock:
            self._faults.append({
                "status": int(status), "times": int(times),
                "method": method.upper() if method else None,
                "path": re.compile(path) if path else None,
                "retry_after": retry_after,
                "message": message or FAULT_MESSAGES.get(int(status), http.HTTPStatus(int(status)).phrase),
                "apply_first": bool(apply_first),
                "after": int(after),
            })

    @property
    def requests(self):
        """API requests so far, in order (a copy); /_sandbox/ control calls are not listed."""
        with self._lock:
            return copy.deepcopy(self._requests)

    def writes(self):
        return [request for request in self.requests if request["method"] != "GET"]

    def clear_requests(self):
        with self._lock:
            self._requests.clear()

    # ----- server -----

    def start(self, host="127.0.0.1", port=0):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = fake._handle(self.command, self.path, self.headers, raw)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, *args):  # tests read fake.requests, not stderr noise
                pass

        self._server = http.server.ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for it, and tests stop a fake per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-aiven", daemon=True)
        self._thread.start()
        bound_host, bound_port = self._server.server_address[:2]
        self.url = "http://%s:%d" % ("[%s]" % bound_host if ":" in bound_host else bound_host, bound_port)
        return self.url

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def _handle(self, method, raw_path, headers, raw_body):
        """One HTTP request -> (status, JSON body, extra headers)."""
        split = urllib.parse.urlsplit(raw_path)
        path = split.path
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(split.query).items()}
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = ApiError(400, "Invalid JSON in request body")
        if path.startswith("/_sandbox/"):
            status, answer, dummy = self._dispatch(method, path, query, body)
            return status, answer, {}
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            fault = self._take_fault(method, path)
            if fault and not fault["apply_first"]:
                status, answer, extra = fault["status"], error_body(fault["status"], fault["message"]), {}
            else:
                status, answer, extra = self._authorized_dispatch(method, path, query, body, headers)
                if fault:
                    status, answer, extra = fault["status"], error_body(fault["status"], fault["message"]), {}
            if fault and fault["retry_after"] is not None:
                extra = {"Retry-After": str(fault["retry_after"])}
            self._requests.append({"method": method, "path": path, "query": query,
                                   "body": None if isinstance(body, ApiError) else body, "status": status})
            return status, answer, extra

    def _take_fault(self, method, path):
        for fault in self._faults:
            if fault["method"] not in (None, method):
                continue
            if fault["path"] is not None and not fault["path"].search(path):
                continue
            if fault["after"] > 0:
                fault["after"] -= 1
                continue
            fault["times"] -= 1
            if fault["times"] <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def _authorized_dispatch(self, method, path, query, body, headers):
        scheme, dummy, token = (headers.get("Authorization") or "").partition(" ")
        # Official clients send `aivenv1 TOKEN`; Aiven's docs also show `Bearer TOKEN` (section 1).
        if scheme.lower() not in ("aivenv1", "bearer") or token.strip() != self.token:
            # The spec's documented example is 403 authentication_failed (9.12). Real Aiven
            # may also answer 401 "Invalid token" (section 10); the fake sends only the 403.
            return 403, error_body(403, "Authentication failed", "authentication_failed"), {}
        return self._dispatch(method, path, query, body)

    def _dispatch(self, method, path, query, body):
        allowed = False
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if not match:
                continue
            allowed = True
            if route_method != method:
                continue
            params = {key: urllib.parse.unquote(value) for key, value in match.groupdict().items()}
            try:
                if isinstance(body, ApiError):
                    raise body
                if method in ("POST", "PUT") and body is not None and not isinstance(body, dict):
                    raise ApiError(400, "Request body must be a JSON object")
                with self._lock:
                    return 200, handler(params, query, body or {}), {}
            except ApiError as exc:
                return exc.status, exc.body(), {}
        if allowed:
            return 405, error_body(405, "Method not allowed"), {}
        return 404, error_body(404, "Not found: %s" % path), {}

    # ----- lookups -----

    def _project(self, name):
        try:
            return self.projects[name]
        except KeyError:
            raise ApiError(404, "Project '%s' does not exist" % name, "project_not_found") from None

    def _service(self, project, name):
        try:
            return project["services"][name]
        except KeyError:
            raise ApiError(404, "Service %s does not exist" % name) from None

    def _endpoint(self, project, endpoint_id):
        try:
            return project["endpoints"][endpoint_id]
        except KeyError:
            raise ApiError(404, "Service integration endpoint not found") from None

    def _integration(self, project, integration_id):
        try:
            return project["integrations"][integration_id]
        except KeyError:
            raise ApiError(404, "Service integration not found") from None

    # ----- views (what the API returns) -----

    def _endpoint_view(self, endpoint, include_secrets):
        view = {
            "endpoint_id": endpoint["endpoint_id"],
            "endpoint_name": endpoint["endpoint_name"],
            "endpoint_type": endpoint["endpoint_type"],
            # client_port: [INFERRED] from aiven-examples autoscale.sh (aiven-api.md 2.6).
            "endpoint_config": {"client_port": self.prometheus_port} if endpoint["endpoint_type"] == "prometheus" else {},
            "user_config": copy.deepcopy(endpoint["user_config"]),
        }
        if not include_secrets and "basic_auth_password" in view["user_config"]:
            view["user_config"]["basic_auth_password"] = REDACTED
        return view

    def _integration_view(self, project, integration):
        service = project["services"][integration["source_service"]]
        endpoint = project["endpoints"][integration["dest_endpoint_id"]]
        # A powered-off service has no nodes to run the integration on ([INFERRED]).
        powered = service["state"] != "POWEROFF"
        active = powered and integration["reads_until_active"] <= 0
        status = ("running" if active else "starting") if powered else "inactive"
        return {
            "service_integration_id": integration["service_integration_id"],
            "integration_type": "prometheus",
            "description": "Send service metrics to Prometheus",
            "active": active,
            "enabled": True,
            "source_project": project["project_name"],
            "source_service": service["service_name"],
            "source_service_type": service["service_type"],
            "source_endpoint": None,
            "source_endpoint_id": None,
            "dest_project": project["project_name"],
            "dest_service": None,
            # [UNCONFIRMED] what real Aiven puts here for an endpoint destination; the value of
            # aiven-api.md 9.5. Clients must not depend on it.
            "dest_service_type": "prometheus",
            "dest_endpoint": endpoint["endpoint_name"],
            "dest_endpoint_id": endpoint["endpoint_id"],
            "integration_status": {
                "state": {"status": status, "errors": [], "likely_error_cause": "null", "nodes": {}},
                "status_user_desc": "Integration is %s" % status,
            },
            "user_config": copy.deepcopy(integration["user_config"]),
        }

    def _placeholder(self, project, service, integration_type, description, dest_service_type):
        """An "available, not enabled" list entry: null id, every key present (avn reads all)."""
        return {
            "service_integration_id": None,
            "integration_type": integration_type,
            "description": description,
            "active": False,
            "enabled": False,
            "source_project": project["project_name"],
            "source_service": service["service_name"],
            "source_service_type": service["service_type"],
            "source_endpoint": None,
            "source_endpoint_id": None,
            "dest_project": project["project_name"],
            "dest_service": None,
            "dest_service_type": dest_service_type,
            "dest_endpoint": None,
            "dest_endpoint_id": None,
            "integration_status": None,
            "user_config": {},
        }

    def _service_integrations(self, project, service):
        enabled = []
        for integration in project["integrations"].values():
            if integration["source_service"] == service["service_name"]:
                # Real activation takes time, whatever a client reads; here every read that
                # shows the integration (GET /integration/{id} or a service list) counts as a
                # tick, so a client may poll the one service list instead of N integrations.
                integration["reads_until_active"] -= 1
                enabled.append(self._integration_view(project, integration))
        placeholders = []
        # A placeholder of type prometheus (while none is enabled) makes a client that looks
        # only at integration_type, not at a non-empty id, wrongly believe it is on.
        if not enabled:
            placeholders.append(self._placeholder(project, service, "prometheus",
                                                  "Send service metrics to Prometheus", "prometheus"))
        if SERVICE_TYPES[service["service_type"]]["replica_dns"]:
            placeholders.append(self._placeholder(project, service, "read_replica", "Create a read replica",
                                                  service["service_type"]))
        placeholders.append(self._placeholder(project, service, "logs", "Send service logs to an OpenSearch service",
                                              "opensearch"))
        return enabled + placeholders

    def _components(self, project, service):
        """Component rows derived from the current state (aiven-api.md 4.2, 4.4)."""
        if service["state"] == "POWEROFF":
            return []  # no nodes, nothing to connect to
        kind = SERVICE_TYPES[service["service_type"]]
        connections = project["privatelink"].get(service["service_name"], [])
        hosts = service_hosts(service["service_name"], project["project_name"], self.domain,
                              privatelink=len(connections))
        access = {flag: service["user_config"].get(key) or {} for flag, (key, dummy, dummy) in ACCESS_SCHEMAS.items()}
        has_replicas = kind["replica_dns"] and service["node_count"] >= 2
        base_port = int(service["service_uri_params"]["port"])
        ports = [(name, base_port + index) for index, name in enumerate(kind["components"])]
        if any(integration["source_service"] == service["service_name"]
               for integration in project["integrations"].values()):
            ports.append(("prometheus", self.prometheus_port))
        rows = []
        for name, port in ports:
            routes = [("dynamic", hosts["primary"], hosts["replica"], None)]
            # Public, private and PrivateLink routes exist only in a project VPC: elsewhere the
            # dynamic name is public already (aiven-api.md 4.4, 5).
            if service["project_vpc_id"] and access["public"].get(name):
                routes.append(("public", hosts["public"], hosts["public_replica"], None))
            if service["project_vpc_id"] and access["private"].get(name):
                routes.append(("private", hosts["private"], hosts["private_replica"], None))
            if service["project_vpc_id"] and access["privatelink"].get(name):
                for number, connection_id in enumerate(connections, 1):
                    routes.append(("privatelink", hosts["privatelink_%d" % number],
                                   hosts["privatelink_%d_replica" % number], connection_id))
            for route, primary_host, replica_host, connection_id in routes:
                usages = [("primary", primary_host)]
                # pgbouncer and friends have no replica DNS name; only the main component and prometheus.
                if has_replicas and name in (kind["components"][0], "prometheus"):
                    usages.append(("replica", replica_host))
                for usage, host in usages:
                    row = {"component": name, "host": host, "port": port, "route": route, "usage": usage}
                    if connection_id:
                        # [INFERRED] row shape: aiven-api.md 4.2 names the optional key.
                        row["privatelink_connection_id"] = connection_id
                    rows.append(row)
        return rows

    def _service_view(self, project, service, include_secrets):
        kind = SERVICE_TYPES[service["service_type"]]
        view = copy.deepcopy(service)
        view["service_type_description"] = kind["description"]
        view["components"] = self._components(project, service)
        main = kind["components"][0]
        view["connection_info"] = {main: [service["service_uri"]]}
        if kind["uri"]:
            view["connection_info"][main + "_params"] = [copy.deepcopy(service["service_uri_params"])]
        roles = ["master"] + ["standby"] * (service["node_count"] - 1) if kind["replica_dns"] else None
        view["node_states"] = []
        for index in range(service["node_count"] if service["state"] != "POWEROFF" else 0):
            node = {"name": "%s-%d" % (service["service_name"], index + 1), "state": "running",
                    "availability_zone": "europe-west1-%s" % "bcd"[index % 3], "progress_updates": []}
            if roles:
                node["role"] = roles[index]
            view["node_states"].append(node)
        view["service_integrations"] = self._service_integrations(project, service)
        view["metadata"] = {}
        view["features"] = {}
        if include_secrets:
            return view
        return redact(view, [user["password"] for user in service["users"]])

    # ----- route handlers: (path params, query dict, JSON body) -> response body -----

    def _list_endpoint_types(self, params, query, body):
        self._project(params["project"])
        return {"endpoint_types": copy.deepcopy(ENDPOINT_TYPES)}

    def _list_endpoints(self, params, query, body):
        project = self._project(params["project"])
        # [UNCONFIRMED] whether the list redacts (aiven-api.md 2.2, 9.2): it always does here,
        # and has no include_secrets (GEN defines none), so clients must use the single GET.
        return {"service_integration_endpoints": [self._endpoint_view(endpoint, include_secrets=False)
                                                  for endpoint in project["endpoints"].values()]}

    def _check_endpoint_config(self, endpoint_type, user_config):
        schema = next(item["user_config_schema"] for item in ENDPOINT_TYPES if item["endpoint_type"] == endpoint_type)
        problem = schema_error(user_config, schema)
        if problem:
            raise ApiError(400, problem)

    def _create_endpoint(self, params, query, body):
        project = self._project(params["project"])
        name = body.get("endpoint_name")
        endpoint_type = body.get("endpoint_type")
        user_config = body.get("user_config") or {}
        if not isinstance(name, str) or not 1 <= len(name) <= 40:
            raise ApiError(400, "Invalid input for endpoint_name: must be a string of 1-40 characters")
        if endpoint_type not in [item["endpoint_type"] for item in ENDPOINT_TYPES]:
            raise ApiError(400, "Invalid input for endpoint_type: unsupported endpoint type '%s'" % endpoint_type)
        self._check_endpoint_config(endpoint_type, user_config)
        if endpoint_type == "prometheus":
            # [INFERRED] (aiven-api.md 2.1): without credentials Aiven generates them. Where they
            # appear is unknown; here in user_config, readable with include_secrets=true.
            user_config.setdefault("basic_auth_username", "prom%04d" % secrets.randbelow(10000))
            user_config.setdefault("basic_auth_password", secrets.token_urlsafe(12))
        # Endpoint names need not be unique ([UNCONFIRMED], 2.1): a second POST with the same
        # name makes a second endpoint, so a client's blind retry shows up as a duplicate.
        endpoint = {"endpoint_id": str(uuid.uuid4()), "endpoint_name": name,
                    "endpoint_type": endpoint_type, "user_config": user_config}
        project["endpoints"][endpoint["endpoint_id"]] = endpoint
        # 9.1 shows the create answer with the password in clear.
        return {"message": "created", "service_integration_endpoint": self._endpoint_view(endpoint, include_secrets=True)}

    def _get_endpoint(self, params, query, body):
        project = self._project(params["project"])
        endpoint = self._endpoint(project, params["endpoint_id"])
        return {"service_integration_endpoint": self._endpoint_view(endpoint, _truthy_query(query, "include_secrets"))}

    def _update_endpoint(self, params, query, body):
        project = self._project(params["project"])
        endpoint = self._endpoint(project, params["endpoint_id"])
        if not isinstance(body.get("user_config"), dict):
            raise ApiError(400, "Invalid input for user_config: required object")
        # Merged like a service's user_config ([INFERRED]: avn sends only the -c keys).
        user_config = merge_config(endpoint["user_config"], body["user_config"])
        self._check_endpoint_config(endpoint["endpoint_type"], user_config)
        endpoint["user_config"] = user_config
        # Same shape as Get (2.4); without include_secrets, so redacted.
        return {"message": "updated", "service_integration_endpoint": self._endpoint_view(endpoint, False)}

    def _delete_endpoint(self, params, query, body):
        project = self._project(params["project"])
        endpoint = self._endpoint(project, params["endpoint_id"])
        users = sorted(integration["source_service"] for integration in project["integrations"].values()
                       if integration["dest_endpoint_id"] == endpoint["endpoint_id"])
        if users:
            # [UNCONFIRMED] (2.5) whether real Aiven refuses or cascades. Refusing is the strict
            # choice: it holds clients to the safe order (integrations first, then the endpoint).
            raise ApiError(409, "Service integration endpoint %s is in use by service integrations of: %s"
                           % (endpoint["endpoint_name"], ", ".join(users)))
        del project["endpoints"][endpoint["endpoint_id"]]
        return {"message": "deleted"}

    def _create_integration(self, params, query, body):
        project = self._project(params["project"])
        if body.get("integration_type") != "prometheus":
            raise ApiError(400, "Invalid input for integration_type: the sandbox supports only 'prometheus'")
        for key in ("source_project", "dest_project"):
            if body.get(key) not in (None, project["project_name"]):
                raise ApiError(400, "Invalid input for %s: cross-project integrations are not supported" % key)
        if not body.get("source_service") or not body.get("dest_endpoint_id"):
            raise ApiError(400, "A prometheus integration needs source_service and dest_endpoint_id")
        if body.get("dest_service") or body.get("source_endpoint_id"):
            raise ApiError(400, "A prometheus integration goes from a service to an endpoint")
        service = self._service(project, body["source_service"])
        endpoint = self._endpoint(project, body["dest_endpoint_id"])
        if endpoint["endpoint_type"] != "prometheus":
            raise ApiError(400, "Integration type prometheus needs an endpoint of type prometheus, not %s"
                           % endpoint["endpoint_type"])
        for integration in project["integrations"].values():
            if (integration["source_service"] == service["service_name"]
                    and integration["dest_endpoint_id"] == endpoint["endpoint_id"]):
                # [UNCONFIRMED] (3.6): 409 + "already exists", Aiven's generic duplicate signal.
                raise ApiError(409, "Service integration of type prometheus from %s to endpoint %s already exists"
                               % (service["service_name"], endpoint["endpoint_name"]))
        integration = {
            "service_integration_id": str(uuid.uuid4()),
            "source_service": service["service_name"],
            "dest_endpoint_id": endpoint["endpoint_id"],
            "user_config": body.get("user_config") or {},
            # GET /integration/{id}: first 404s (3.3, seen by TF), then inactive, then active.
            "reads_404_left": self.early_404_reads,
            "reads_until_active": self.activation_reads + 1,
        }
        project["integrations"][integration["service_integration_id"]] = integration
        # 9.5 shows active true next to status "starting"; the fake says false until the
        # integration has been polled, so clients that need `active` must wait for it.
        return {"message": "created", "service_integration": self._integration_view(project, integration)}

    def _get_integration(self, params, query, body):
        project = self._project(params["project"])
        integration = self._integration(project, params["integration_id"])
        if integration["reads_404_left"] > 0:
            integration["reads_404_left"] -= 1
            raise ApiError(404, "Service integration not found")
        integration["reads_until_active"] -= 1
        return {"service_integration": self._integration_view(project, integration)}

    def _update_integration(self, params, query, body):
        project = self._project(params["project"])
        integration = self._integration(project, params["integration_id"])
        if not isinstance(body.get("user_config"), dict):
            raise ApiError(400, "Invalid input for user_config: required object")
        integration["user_config"] = merge_config(integration["user_config"], body["user_config"])
        return {"message": "updated", "service_integration": self._integration_view(project, integration)}

    def _delete_integration(self, params, query, body):
        project = self._project(params["project"])
        integration = self._integration(project, params["integration_id"])
        del project["integrations"][integration["service_integration_id"]]
        return {"message": "deleted"}

    def _list_services(self, params, query, body):
        project = self._project(params["project"])
        include_secrets = _truthy_query(query, "include_secrets")
        return {"services": [self._service_view(project, service, include_secrets)
                             for service in project["services"].values()]}

    def _get_service(self, params, query, body):
        project = self._project(params["project"])
        service = self._service(project, params["service"])
        return {"service": self._service_view(project, service, _truthy_query(query, "include_secrets"))}

    def _update_service(self, params, query, body):
        project = self._project(params["project"])
        service = self._service(project, params["service"])
        changes = {}
        if "user_config" in body:
            if not isinstance(body["user_config"], dict):
                raise ApiError(400, "Invalid input for user_config: expected object")
            user_config = merge_config(service["user_config"], body["user_config"])
            problem = schema_error(user_config, service_user_config_schema(service["service_type"]))
            if problem:
                # e.g. public_access.prometheus on grafana: "additional property 'prometheus'".
                raise ApiError(400, problem)
            # Setting public_access.prometheus outside a VPC is stored but adds no public route
            # ([UNCONFIRMED], section 5, whether Aiven rejects it instead).
            changes["user_config"] = user_config
        for key, kind in (("plan", str), ("termination_protection", bool)):
            if key in body and body[key] is not None:
                if not isinstance(body[key], kind):
                    raise ApiError(400, "Invalid input for %s" % key)
                changes[key] = body[key]
        # Public routes appear at once; real timing is [UNCONFIRMED] (9.10), so clients poll anyway.
        service.update(changes, update_time=_now())
        return {"service": self._service_view(project, service, include_secrets=False)}

    def _list_service_integrations(self, params, query, body):
        project = self._project(params["project"])
        service = self._service(project, params["service"])
        return {"service_integrations": self._service_integrations(project, service)}

    def _get_service_type(self, params, query, body):
        self._project(params["project"])
        kind = SERVICE_TYPES.get(params["service_type"])
        if kind is None:
            raise ApiError(404, "Service type %s does not exist" % params["service_type"])
        # Unwrapped, as avn reads it (aiven-api.md 10).
        return {
            "description": kind["description"],
            "default_version": kind["version"][1] if kind["version"] else None,
            "latest_available_version": kind["version"][2] if kind["version"] else None,
            "user_config_schema": service_user_config_schema(params["service_type"]),
        }

    def _get_ca(self, params, query, body):
        return {"certificate": self._project(params["project"])["ca_pem"]}

    # ----- /_sandbox/ control routes (no token; not recorded) -----

    def _sandbox_requests(self, params, query, body):
        return {"requests": self.requests}

    def _sandbox_clear(self, params, query, body):
        self.clear_requests()
        return {"message": "cleared"}

    def _sandbox_faults(self, params, query, body):
        try:
            self.inject_fault(**body)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, str(exc)) from None
        return {"message": "fault injected"}

    def _sandbox_latency(self, params, query, body):
        if not isinstance(body.get("seconds"), (int, float)) or body["seconds"] < 0:
            raise ApiError(400, "seconds: a number >= 0 is required")
        self.latency = float(body["seconds"])
        return {"message": "latency set", "seconds": self.latency}

    def _sandbox_services(self, params, query, body):
        try:
            service = self.add_service(**body)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, str(exc)) from None
        return {"service": self._service_view(self.projects[body["project"]], service, include_secrets=False)}

    def _sandbox_service_state(self, params, query, body):
        try:
            service = self.set_service_state(body.get("project"), body.get("name"), body.get("state"))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return {"service": self._service_view(self.projects[body["project"]], service, include_secrets=False)}

    def _sandbox_privatelink(self, params, query, body):
        try:
            connection_id = self.add_privatelink_connection(body.get("project"), body.get("name"),
                                                            body.get("connection_id"))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return {"connection_id": connection_id, "hosts": self.service_hosts(body["project"], body["name"])}


def _parse_service(spec, project):
    """NAME:TYPE[:NODES][:FLAG...] -> add_service keyword arguments.

    Flags: vpc (in the project VPC), poweroff (state POWEROFF), privatelink (one PrivateLink
    connection; repeat it for more; needs vpc)."""
    parts = spec.split(":")
    if len(parts) < 2 or not parts[0]:
        raise argparse.ArgumentTypeError("--service wants NAME:TYPE[:NODES][:FLAG...], got %r" % spec)
    flags = parts[3:]
    if set(flags) - {"vpc", "poweroff", "privatelink"}:
        raise argparse.ArgumentTypeError("unknown flag in %r (vpc, poweroff, privatelink)" % spec)
    # One VPC per project, with an id stable across runs so demo output is reproducible.
    vpc_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "sandbox-vpc:" + project)) if "vpc" in flags else None
    return dict(name=parts[0], service_type=parts[1], node_count=int(parts[2]) if len(parts) > 2 and parts[2] else 1,
                project_vpc_id=vpc_id, state="POWEROFF" if "poweroff" in flags else "RUNNING",
                privatelink=flags.count("privatelink"))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve the fake Aiven API in the foreground.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="sandbox-token")
    parser.add_argument("--domain", default="aiven.test")
    parser.add_argument("--prometheus-port", type=int, default=9273)
    parser.add_argument("--project", default="acme")
    parser.add_argument("--service", action="append", default=[], metavar="NAME:TYPE[:NODES][:FLAG...]",
                        help="FLAG: vpc, poweroff, privatelink (repeatable)")
    parser.add_argument("--ca-file", help="PEM of the project CA (default: a fresh trustme CA)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API request")
    args = parser.parse_args(argv)

    fake = FakeAiven(token=args.token, domain=args.domain, prometheus_port=args.prometheus_port, latency=args.latency)
    ca_pem = None
    if args.ca_file:
        with open(args.ca_file, encoding="utf-8") as handle:
            ca_pem = handle.read()
    fake.add_project(args.project, ca_pem=ca_pem)
    services = []
    for spec in args.service:
        try:
            service = fake.add_service(args.project, **_parse_service(spec, args.project))
        except (argparse.ArgumentTypeError, ValueError) as exc:
            parser.error(str(exc))
        services.append({"service_name": service["service_name"], "service_type": service["service_type"],
                         "node_count": service["node_count"], "project_vpc_id": service["project_vpc_id"],
                         "state": service["state"], "host": service["service_uri_params"]["host"],
                         "hosts": fake.service_hosts(args.project, service["service_name"])})

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    url = fake.start(host=args.host, port=args.port)
    print(json.dumps({"api_url": url, "token": args.token, "project": args.project, "services": services}), flush=True)
    stopping.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
