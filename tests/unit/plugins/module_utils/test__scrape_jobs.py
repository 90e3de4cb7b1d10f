"""_scrape_jobs: route choice, target groups, addresses, Prometheus jobs, file_sd, fingerprint.

Pure functions, so every branch is a row in a table here; the filters that wrap them (and the
DNS resolution they add) are tested in tests/unit/plugins/filter/.
"""
import ipaddress
import re

import pytest

from ansible_collections.aiven_tools.prometheus.plugins.module_utils import _scrape_jobs as S

PG = "pg-x-acme.aivencloud.com"


def row(route, host, usage="primary", port=9273, plc=None):
    result = {"host": host, "port": port, "route": route, "usage": usage}
    if plc is not None:
        result["privatelink_connection_id"] = plc
    return result


def service(targets, name="pg-x", stype="pg", state="RUNNING", vpc=None, **extra):
    return dict({"service_name": name, "service_type": stype, "state": state, "project_vpc_id": vpc,
                 "integration_id": "i-1", "targets": targets}, **extra)


VPC_ROWS = [row("dynamic", PG), row("dynamic", "replica-" + PG, "replica"),
            row("public", "public-" + PG), row("public", "public-replica-" + PG, "replica"),
            row("private", "private-" + PG)]
LINK_ROWS = [row("privatelink", "pl-b-" + PG, plc="plc-b"), row("privatelink", "pl-a-" + PG, plc="plc-a"),
             row("privatelink", "pl-a-replica-" + PG, "replica", plc="plc-a"), row("dynamic", PG)]


# -- select_rows -----------------------------------------------------------------------------

@pytest.mark.parametrize("targets, vpc, route, plc, hosts, used, connection", [
    (VPC_ROWS, "vpc-1", "dynamic", None, [PG, "replica-" + PG], "dynamic", None),
    (VPC_ROWS, "vpc-1", "public", None, ["public-" + PG, "public-replica-" + PG], "public", None),
    (VPC_ROWS, "vpc-1", "private", None, ["private-" + PG], "private", None),
    # outside a VPC the dynamic names are the public ones
    ([row("dynamic", PG)], None, "public", None, [PG], "dynamic", None),
    ([row("dynamic", PG)], None, "private", None, [PG], "dynamic", None),
    # private falls back to dynamic inside a VPC too (they resolve privately from the VPC)
    ([row("dynamic", PG), row("public", "public-" + PG)], "vpc-1", "private", None, [PG], "dynamic", None),
    # privatelink: the lowest connection id by default, a given one, one per service
    (LINK_ROWS, "vpc-1", "privatelink", None, ["pl-a-" + PG, "pl-a-replica-" + PG], "privatelink", "plc-a"),
    (LINK_ROWS, "vpc-1", "privatelink", "plc-b", ["pl-b-" + PG], "privatelink", "plc-b"),
    (LINK_ROWS, "vpc-1", "privatelink", {"pg-x": "plc-b"}, ["pl-b-" + PG], "privatelink", "plc-b"),
    (LINK_ROWS, "vpc-1", "privatelink", {"other": "plc-b"}, ["pl-a-" + PG, "pl-a-replica-" + PG], "privatelink", "plc-a"),
    (LINK_ROWS, "vpc-1", "privatelink", "", ["pl-a-" + PG, "pl-a-replica-" + PG], "privatelink", "plc-a"),
    # rows without an id (an older API shape): all of them
    ([row("privatelink", "pl-" + PG)], "vpc-1", "privatelink", None, ["pl-" + PG], "privatelink", None),
    # the id applies to privatelink only
    (VPC_ROWS, "vpc-1", "public", "plc-zzz", ["public-" + PG, "public-replica-" + PG], "public", None),
])
def test_select_rows_per_route(targets, vpc, route, plc, hosts, used, connection):
    selection = S.select_rows(service(targets, vpc=vpc), route, plc)
    assert [r["host"] for r in selection.rows] == hosts
    assert (selection.route, selection.connection_id, selection.reason) == (used, connection, None)


@pytest.mark.parametrize("svc, route, reason", [
    (service([], state="POWEROFF"), "dynamic", "not running (state POWEROFF)"),
    (service([], state="REBUILDING"), "public", "not running (state REBUILDING)"),
    (service([]), "dynamic", "the Prometheus integration is not enabled yet"),
    (service([], state=None), "dynamic", "the Prometheus integration is not enabled yet"),
    (service([row("dynamic", PG)], vpc="vpc-1"), "public", "in project VPC vpc-1 and lists no public"),
    (service([row("public", "public-" + PG)]), "private", "lists no private or dynamic"),
    (service([row("public", "public-" + PG)]), "dynamic", "lists no dynamic"),
    # never a fallback for PrivateLink: another route does not go through the connection
    (service([row("dynamic", PG)], vpc="vpc-1"), "privatelink", "privatelink_access.prometheus is off"),
])
def test_select_rows_nothing_to_scrape_says_why(svc, route, reason):
    selection = S.select_rows(svc, route)
    assert selection.rows == [] and reason in selection.reason


def test_unknown_privatelink_id_names_the_service_and_its_ids():
    message = r"^service pg-x has no PrivateLink connection plc-c; its privatelink_connection_id values: plc-a, plc-b$"
    with pytest.raises(S.ScrapeJobsError, match=message):
        S.select_rows(service(LINK_ROWS), "privatelink", "plc-c")


# -- target_groups ---------------------------------------------------------------------------

def test_primary_and_replica_become_one_group_each_primary_first():
    svc = service([row("dynamic", "replica-" + PG, "replica"), row("dynamic", PG, port="19273")])
    groups = S.target_groups([svc], "acme")
    assert groups == [
        {"service": "pg-x", "service_type": "pg", "usage": "primary", "route": "dynamic",
         "privatelink_connection_id": None, "server_name": PG, "names": [PG + "."], "port": 19273,
         "record_types": ["A"], "addresses": [],
         "labels": {"aiven_project": "acme", "aiven_service": "pg-x", "aiven_service_type": "pg",
                    "aiven_usage": "primary"}},
        {"service": "pg-x", "service_type": "pg", "usage": "replica", "route": "dynamic",
         "privatelink_connection_id": None, "server_name": "replica-" + PG, "names": ["replica-" + PG + "."],
         "port": 9273, "record_types": ["A"], "addresses": [],
         "labels": {"aiven_project": "acme", "aiven_service": "pg-x", "aiven_service_type": "pg",
                    "aiven_usage": "replica"}},
    ]
    assert list(groups[0]["labels"]) == ["aiven_project", "aiven_service", "aiven_service_type", "aiven_usage"]


@pytest.mark.parametrize("targets, expected", [
    # a replica row naming the primary's host is the same certificate name: no replica group
    ([row("dynamic", PG), row("dynamic", PG, "replica")], [("primary", PG)]),
    ([row("dynamic", PG, "replica"), row("dynamic", PG.upper() + ".")], [("primary", PG.upper())]),
    # only a replica row: its own usage, no invented primary
    ([row("dynamic", "replica-" + PG, "replica")], [("replica", "replica-" + PG)]),
    # a row without usage counts as the primary
    ([{"host": PG, "port": 9273, "route": "dynamic"}], [("primary", PG)]),
    # usages Aiven added later keep their name
    ([row("dynamic", PG), row("dynamic", "dr-" + PG, "disaster_recovery")],
     [("primary", PG), ("disaster_recovery", "dr-" + PG)]),
])
def test_groups_follow_host_names(targets, expected):
    groups = S.target_groups([service(targets)], "acme")
    assert [(g["usage"], g["server_name"]) for g in groups] == expected
    assert all(g["names"] == [g["server_name"] + "."] for g in groups)  # absolute, exactly one dot


def test_services_without_rows_are_left_out_and_reported():
    services = [service([], name="off", state="POWEROFF"), service([row("dynamic", PG)], name="on"),
                service([], name="new", stype="mysql")]
    assert [g["service"] for g in S.target_groups(services, "acme")] == ["on"]
    assert S.untargeted_services(services) == [
        {"service": "off", "service_type": "pg", "state": "POWEROFF", "route": "dynamic",
         "reason": "not running (state POWEROFF): Aiven lists no Prometheus targets for it"},
        {"service": "new", "service_type": "mysql", "state": "RUNNING", "route": "dynamic",
         "reason": "lists no prometheus components: the Prometheus integration is not enabled yet "
                   "(in check mode it is not created)"},
    ]


# The table tests/integration/test_role_route_selection.py pinned on the Jinja template,
# now one group per certificate name.
ROLE_SERVICES = [
    {"service_name": "pg-vpc", "service_type": "pg",
     "targets": [row("dynamic", "pg-vpc-acme.aivencloud.com"), row("dynamic", "replica-pg-vpc-acme.aivencloud.com", "replica"),
                 row("public", "public-pg-vpc-acme.aivencloud.com"),
                 row("public", "public-replica-pg-vpc-acme.aivencloud.com", "replica"),
                 row("private", "private-pg-vpc-acme.aivencloud.com")]},
    {"service_name": "kafka-open", "service_type": "kafka",
     "targets": [row("dynamic", "replica-kafka-open-acme.aivencloud.com", "replica"),
                 row("dynamic", "kafka-open-acme.aivencloud.com")]},
    {"service_name": "mysql-new", "service_type": "mysql", "targets": []},
]


@pytest.mark.parametrize("route, pg_names", [
    ("dynamic", ["pg-vpc-acme.aivencloud.com", "replica-pg-vpc-acme.aivencloud.com"]),
    ("public", ["public-pg-vpc-acme.aivencloud.com", "public-replica-pg-vpc-acme.aivencloud.com"]),
    ("private", ["private-pg-vpc-acme.aivencloud.com"]),
])
def test_the_roles_route_table(route, pg_names):
    groups = S.target_groups(ROLE_SERVICES, "acme", route=route)
    by_service = {}
    for group in groups:
        by_service.setdefault(group["service"], []).append(group["server_name"])
    assert by_service == {"pg-vpc": pg_names,
                          "kafka-open": ["kafka-open-acme.aivencloud.com", "replica-kafka-open-acme.aivencloud.com"]}
    assert [s["service"] for s in S.untargeted_services(ROLE_SERVICES, route)] == ["mysql-new"]


@pytest.mark.parametrize("services, project, route, message", [
    ("pg-x", "acme", "dynamic", "services: give a list of services"),
    (["pg-x"], "acme", "dynamic", "services: item 0 is not a service"),
    ([service([]), {"targets": []}], "acme", "dynamic", "services: item 1 is not a service"),
    ([service("x")], "acme", "dynamic", "service pg-x: targets must be a list of dicts"),
    ([service([row("dynamic", PG)], stype=None)], "acme", "dynamic", "service pg-x has no service_type"),
    ([service([row("dynamic", None)])], "acme", "dynamic", "service pg-x: a dynamic component has no host"),
    ([service([row("dynamic", PG, port="x")])], "acme", "dynamic",
     "service pg-x: component %s has no valid port ('x')" % PG),
    ([service([row("dynamic", PG, port=0)])], "acme", "dynamic", "has no valid port (0)"),
    ([], "acme", "vpc", "route: 'vpc' is not one of dynamic, public, private, privatelink"),
    ([], "", "dynamic", "project: give a non-empty string"),
])
def test_target_groups_refuses_bad_input_in_one_line(services, project, route, message):
    with pytest.raises(S.ScrapeJobsError) as err:
        S.target_groups(services, project, route=route)
    assert message in str(err.value) and "\n" not in str(err.value)


# -- option values ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("A", ["A"]), ("aaaa", ["AAAA"]), ("AAAA,A", ["A", "AAAA"]), (" a , aaaa ", ["A", "AAAA"]),
    ("both", ["A", "AAAA"]), (["AAAA", "A", "A"], ["A", "AAAA"]), (("A",), ["A"]),
])
def test_record_types(value, expected):
    assert S.normalize_record_types(value) == expected


@pytest.mark.parametrize("value, message", [
    ("SRV", "'SRV' is not one of A, AAAA, both"), ([], "give A, AAAA or both"),
    (None, "give A, AAAA or both, got None"), ("A,", "'' is not one of"),
])
def test_record_types_refused(value, message):
    with pytest.raises(S.ScrapeJobsError, match="^record_types: " + re.escape(message)):
        S.normalize_record_types(value)


@pytest.mark.parametrize("value, expected", [(53, 53), ("53", 53), (" 5353 ", 5353), (65535, 65535)])
def test_to_int(value, expected):
    assert S.to_int(value, "dns_port", 1, 65535) == expected


@pytest.mark.parametrize("value", [0, 65536, "-1", "5x", True, None, 53.0, ""])
def test_to_int_refused(value):
    with pytest.raises(S.ScrapeJobsError, match=r"^dns_port: .* is not a whole number from 1 to 65535$"):
        S.to_int(value, "dns_port", 1, 65535)


@pytest.mark.parametrize("value, expected", [(2, 2.0), ("0.5", 0.5), (1.5, 1.5)])
def test_to_seconds(value, expected):
    assert S.to_seconds(value, "dns_timeout") == expected


@pytest.mark.parametrize("value", [0, "-1", "soon", None, True, "nan"])
def test_to_seconds_refused(value):
    with pytest.raises(S.ScrapeJobsError, match=r"^dns_timeout: .* is not a positive number of seconds$"):
        S.to_seconds(value, "dns_timeout")


# -- addresses -------------------------------------------------------------------------------

def test_attach_addresses_formats_sorts_and_brackets_ipv6():
    groups = S.target_groups([service([row("dynamic", PG, port=9273)])], "acme")
    found = {PG: ["2001:db8::2", "10.0.0.10", ipaddress.ip_address("10.0.0.9"), "2001:db8::1", "10.0.0.10"]}
    result = S.attach_addresses(groups, found)
    assert result[0]["addresses"] == ["10.0.0.9:9273", "10.0.0.10:9273", "[2001:db8::1]:9273", "[2001:db8::2]:9273"]
    assert groups[0]["addresses"] == []  # a copy: the input is left alone


@pytest.mark.parametrize("found", [{}, {PG: []}])
def test_attach_addresses_refuses_a_group_without_address(found):
    groups = S.target_groups([service([row("dynamic", PG)])], "acme")
    with pytest.raises(S.ScrapeJobsError, match="^no address for %s \\(service pg-x\\)$" % re.escape(PG)):
        S.attach_addresses(groups, found)


# -- jobs ------------------------------------------------------------------------------------

def settings(**kwargs):
    base = dict(project="acme", username="prom", password_file="/etc/prometheus/aiven-acme.password",
                ca_file="/etc/prometheus/aiven-acme-ca.pem")
    base.update(kwargs)
    return S.job_settings(**base)


def pg_groups(record_types="A", addresses=False):
    groups = S.target_groups([service([row("dynamic", PG), row("dynamic", "replica-" + PG, "replica")])],
                             "acme", record_types=record_types)
    if addresses:
        groups = S.attach_addresses(groups, {PG: ["10.0.0.1", "2001:db8::1"], "replica-" + PG: ["10.0.0.2"]})
    return groups


LABEL_RULES = [{"target_label": "aiven_project", "replacement": "acme"},
               {"target_label": "aiven_service", "replacement": "pg-x"},
               {"target_label": "aiven_service_type", "replacement": "pg"},
               {"target_label": "aiven_usage", "replacement": "primary"}]


def test_dns_sd_job_exactly():
    jobs = S.prometheus_jobs(pg_groups(), settings())
    assert jobs[0] == {
        "job_name": "aiven-acme-pg-x",
        "scheme": "https",
        "metrics_path": "/metrics",
        "basic_auth": {"username": "prom", "password_file": "/etc/prometheus/aiven-acme.password"},
        "tls_config": {"ca_file": "/etc/prometheus/aiven-acme-ca.pem", "server_name": PG},
        "dns_sd_configs": [{"names": [PG + "."], "type": "A", "port": 9273, "refresh_interval": "30s"}],
        "relabel_configs": LABEL_RULES,
    }
    assert list(jobs[0]) == ["job_name", "scheme", "metrics_path", "basic_auth", "tls_config",
                             "dns_sd_configs", "relabel_configs"]
    assert jobs[1]["job_name"] == "aiven-acme-pg-x-replica"
    assert jobs[1]["tls_config"]["server_name"] == "replica-" + PG
    assert jobs[1]["relabel_configs"][-1] == {"target_label": "aiven_usage", "replacement": "replica"}


@pytest.mark.parametrize("record_types, types", [("A", ["A"]), ("AAAA", ["AAAA"]), ("both", ["A", "AAAA"])])
def test_dns_sd_one_config_per_record_type(record_types, types):
    job = S.prometheus_jobs(pg_groups(record_types), settings())[0]
    assert [c["type"] for c in job["dns_sd_configs"]] == types
    assert all(c["names"] == [PG + "."] and c["port"] == 9273 for c in job["dns_sd_configs"])


@pytest.mark.parametrize("refresh_interval, expected", [("1m", {"refresh_interval": "1m"}), (None, {}), ("", {})])
def test_dns_sd_refresh_interval_only_when_given(refresh_interval, expected):
    config = S.prometheus_jobs(pg_groups(), settings(refresh_interval=refresh_interval))[0]["dns_sd_configs"][0]
    assert config == dict({"names": [PG + "."], "type": "A", "port": 9273}, **expected)


@pytest.mark.parametrize("tls_verify, expected", [
    (True, {"ca_file": "/ca.pem", "server_name": PG}),
    (False, {"ca_file": "/ca.pem", "server_name": PG, "insecure_skip_verify": True}),
])
def test_tls_config(tls_verify, expected):
    job = S.prometheus_jobs(pg_groups(), settings(ca_file="/ca.pem", tls_verify=tls_verify))[0]
    assert job["tls_config"] == expected


def test_static_job_has_labels_and_no_relabel():
    job = S.prometheus_jobs(pg_groups(addresses=True), settings(discovery="static"))[0]
    assert job["static_configs"] == [{
        "targets": ["10.0.0.1:9273", "[2001:db8::1]:9273"],
        "labels": {"aiven_project": "acme", "aiven_service": "pg-x", "aiven_service_type": "pg", "aiven_usage": "primary"}}]
    assert "relabel_configs" not in job and "dns_sd_configs" not in job


@pytest.mark.parametrize("discovery", ["static", "file_sd"])
def test_static_and_file_sd_refuse_groups_built_for_dns_sd(discovery):
    with pytest.raises(S.ScrapeJobsError, match="has no addresses: build the groups with discovery=" + discovery):
        S.prometheus_jobs(pg_groups(), settings(discovery=discovery, file_sd_file="/t.json"))


def test_file_sd_jobs_keep_only_their_own_group():
    groups = pg_groups(addresses=True)
    jobs = S.prometheus_jobs(groups, settings(discovery="file_sd", file_sd_file="/etc/prometheus/aiven-acme.targets.json"))
    assert [j["file_sd_configs"] for j in jobs] == [[{"files": ["/etc/prometheus/aiven-acme.targets.json"]}]] * 2
    entries = S.file_sd_groups(groups)
    for job in jobs:
        keep = job["relabel_configs"]
        assert len(keep) == 1 and keep[0]["action"] == "keep"
        assert keep[0]["source_labels"] == ["aiven_service", "__meta_aiven_server_name"]
        # Prometheus joins source label values with ';' and anchors the regex: exactly one entry matches
        kept = [e for e in entries if re.fullmatch(keep[0]["regex"], "%s;%s" % (
            e["labels"]["aiven_service"], e["labels"]["__meta_aiven_server_name"]))]
        assert [e["labels"]["__meta_aiven_server_name"] for e in kept] == [job["tls_config"]["server_name"]]


def test_file_sd_groups_shape():
    assert S.file_sd_groups(pg_groups(addresses=True)) == [
        {"targets": ["10.0.0.1:9273", "[2001:db8::1]:9273"],
         "labels": {"aiven_project": "acme", "aiven_service": "pg-x", "aiven_service_type": "pg",
                    "aiven_usage": "primary", "__meta_aiven_server_name": PG}},
        {"targets": ["10.0.0.2:9273"],
         "labels": {"aiven_project": "acme", "aiven_service": "pg-x", "aiven_service_type": "pg",
                    "aiven_usage": "replica", "__meta_aiven_server_name": "replica-" + PG}},
    ]


FP_RULE = {"target_label": "__tmp_aiven_password_fingerprint", "replacement": "c85219d572fb"}
EXTRA_RULE = {"source_labels": ["__address__"], "target_label": "node"}


@pytest.mark.parametrize("discovery, fingerprint, extra, expected", [
    ("dns_sd", None, None, LABEL_RULES),
    ("dns_sd", "c85219d572fb", None, LABEL_RULES + [FP_RULE]),
    ("dns_sd", "c85219d572fb", [EXTRA_RULE], LABEL_RULES + [FP_RULE, EXTRA_RULE]),
    ("static", None, None, None),
    ("static", "c85219d572fb", None, [FP_RULE]),
    ("static", None, [EXTRA_RULE], [EXTRA_RULE]),
])
def test_relabel_order_discovery_then_fingerprint_then_users(discovery, fingerprint, extra, expected):
    job_extra = {"relabel_configs": extra} if extra else None
    job = S.prometheus_jobs(pg_groups(addresses=True), settings(
        discovery=discovery, password_fingerprint=fingerprint, job_extra=job_extra))[0]
    assert job.get("relabel_configs") == expected


def test_job_extra_keys_follow_job_name():
    extra = {"scrape_interval": "15s", "metric_relabel_configs": [{"action": "labeldrop", "regex": "x"}],
             "relabel_configs": [EXTRA_RULE], "honor_labels": False}
    job = S.prometheus_jobs(pg_groups(), settings(job_extra=extra))[0]
    assert list(job) == ["job_name", "scrape_interval", "metric_relabel_configs", "honor_labels", "scheme",
                         "metrics_path", "basic_auth", "tls_config", "dns_sd_configs", "relabel_configs"]
    assert job["scrape_interval"] == "15s" and job["relabel_configs"][-1] == EXTRA_RULE


@pytest.mark.parametrize("extra, owned", [
    ({"job_name": "mine"}, "job_name"),
    ({"scrape_interval": "5s", "scheme": "http", "tls_config": {}}, "scheme, tls_config"),
    ({"basic_auth": {"username": "x"}}, "basic_auth"),
    ({"static_configs": []}, "static_configs"),
])
def test_job_extra_never_overrides_what_the_job_depends_on(extra, owned):
    with pytest.raises(S.ScrapeJobsError, match="^job_extra: %s cannot be set here" % owned):
        settings(job_extra=extra)


@pytest.mark.parametrize("kwargs, message", [
    ({"discovery": "consul"}, "discovery: 'consul' is not one of dns_sd, static, file_sd"),
    ({"discovery": "file_sd"}, "file_sd_file: give a non-empty string, got None"),
    ({"tls_verify": "false"}, "tls_verify: 'false' is not a boolean"),
    ({"password_fingerprint": "hunter2"}, "password_fingerprint: give the password_fingerprint filter's result"),
    ({"refresh_interval": 30}, "refresh_interval: give a Prometheus duration such as 30s, got 30"),
    ({"job_extra": ["scrape_interval"]}, "job_extra: give a dict of extra job keys, got list"),
    ({"job_extra": {"relabel_configs": {"action": "drop"}}}, "job_extra: relabel_configs must be a list"),
    ({"job_prefix": None}, "job_prefix: give a string (it may be empty), got None"),
    ({"username": ""}, "username: give a non-empty string"),
    ({"password_file": None}, "password_file: give a non-empty string"),
    ({"ca_file": 3}, "ca_file: give a non-empty string"),
])
def test_job_settings_refused(kwargs, message):
    with pytest.raises(S.ScrapeJobsError) as err:
        settings(**kwargs)
    assert str(err.value) == message or str(err.value).startswith(message)


@pytest.mark.parametrize("groups, message", [
    ("x", "groups: give the list target_groups returns, got str"),
    ([{"service_name": "pg-x", "targets": []}], "groups: item 0 is not a target group"),
])
def test_jobs_refuse_what_is_not_groups(groups, message):
    with pytest.raises(S.ScrapeJobsError, match="^" + re.escape(message)):
        S.prometheus_jobs(groups, settings())


def group(service, usage="primary", host=None):
    return {"service": service, "usage": usage, "server_name": host or service}


@pytest.mark.parametrize("groups, prefix, names", [
    ([group("pg-x"), group("pg-x", "replica")], "aiven-", ["aiven-acme-pg-x", "aiven-acme-pg-x-replica"]),
    ([group("pg-x")], "", ["acme-pg-x"]),
    ([group("pg-x", "replica")], "p-", ["p-acme-pg-x-replica"]),
    # two hosts of one usage on one route: numbered, never the same name twice
    ([group("pg-x", host="a"), group("pg-x", host="b"), group("pg-x", host="c")], "aiven-",
     ["aiven-acme-pg-x", "aiven-acme-pg-x-2", "aiven-acme-pg-x-3"]),
])
def test_job_names(groups, prefix, names):
    assert S.job_names(groups, "acme", prefix) == names


def test_job_names_colliding_across_services_are_refused():
    message = "^services pg-x and pg-x-replica would both get the job name aiven-acme-pg-x-replica;"
    with pytest.raises(S.ScrapeJobsError, match=message):
        S.job_names([group("pg-x"), group("pg-x", "replica"), group("pg-x-replica")], "acme", "aiven-")


def test_label_values_are_literal_in_relabel_replacements():
    assert S.label_rules({"team": "a$1b"}) == [{"target_label": "team", "replacement": "a$$1b"}]


# -- password fingerprint --------------------------------------------------------------------

def test_fingerprint_is_pinned_short_hex_and_one_way():
    value = S.password_fingerprint("first", "prometheus")
    assert value == "c85219d572fb"  # pinned: a change here rebuilds every user's scrape pools once
    assert re.fullmatch("[0-9a-f]{12}", value)


@pytest.mark.parametrize("password, salt", [("second", "prometheus"), ("first", "prom2"), ("First", "prometheus"),
                                            ("first ", "prometheus")])
def test_fingerprint_changes_with_password_and_user(password, salt):
    assert S.password_fingerprint(password, salt) != S.password_fingerprint("first", "prometheus")


@pytest.mark.parametrize("password, salt, message", [
    ("", "prometheus", "the password must be a non-empty string"),
    (None, "prometheus", "the password must be a non-empty string"),
    ("first", None, "the salt (the endpoint's user name) must be a string"),
])
def test_fingerprint_refused_without_echoing_the_password(password, salt, message):
    with pytest.raises(S.ScrapeJobsError) as err:
        S.password_fingerprint(password, salt)
    assert str(err.value) == "password_fingerprint: " + message


# -- job_extra, checked before anything changes (issue 17: a bad value used to fail after the API pass)

@pytest.mark.parametrize("job_extra, expected", [
    (None, {}),
    ({"scrape_interval": "1m30s", "scrape_timeout": "10s"}, {"scrape_interval": "1m30s", "scrape_timeout": "10s"}),
    ("scrape_interval=5s", {"scrape_interval": "5s"}),  # what -e prometheus_aiven_job_extra=... gives
    ('{"honor_labels": true}', {"honor_labels": True}),
    ({"some_future_key": 1}, {"some_future_key": 1}),  # not close to a known key: promtool judges it
    ({"kubernetes_sd_configs": []}, {"kubernetes_sd_configs": []}),
])
def test_job_extra_accepted(job_extra, expected):
    assert S.check_job_extra(job_extra) == expected


@pytest.mark.parametrize("job_extra, message", [
    ({"scrape_interval": "fast"}, "job_extra: scrape_interval: 'fast' is not a Prometheus duration"),
    ({"scrape_timeout": "5s", "scrape_interval": "2s"}, "job_extra: scrape_timeout 5s is longer than scrape_interval 2s"),
    ({"scrape_intervall": "5s"}, "job_extra: scrape_intervall is not a Prometheus scrape_config key; did you mean scrape_interval?"),
    ({"tls_config": {}}, "job_extra: tls_config cannot be set here"),
    (["scrape_interval"], "job_extra: give a dict of extra job keys, got list"),
    ({"relabel_configs": {"a": 1}}, "job_extra: relabel_configs must be a list"),
])
def test_job_extra_refused_in_one_line(job_extra, message):
    with pytest.raises(S.ScrapeJobsError) as exc:
        S.check_job_extra(job_extra)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


@pytest.mark.parametrize("text, ms", [("0", 0), ("15s", 15000), ("1m30s", 90000), ("2h", 7200000), ("500ms", 500),
                                      ("1d", 86400000)])
def test_duration_ms(text, ms):
    assert S.duration_ms(text) == ms


def test_privatelink_outside_a_vpc_says_so():
    service = {"service_name": "pg-a", "service_type": "pg", "state": "RUNNING", "project_vpc_id": None,
               "targets": [{"host": "pg-a.example", "port": 9273, "route": "dynamic", "usage": "primary"}]}
    skipped = S.untargeted_services([service], route="privatelink")
    assert [s["reason"] for s in skipped] == ["is not in a project VPC, so it has no PrivateLink connection to scrape through"]
