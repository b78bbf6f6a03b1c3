# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.module_utils.fateflow_node import health_request, major_version
from ansible_collections.fateflow.ha.plugins.module_utils.validation import InputError, flow_version as checked_version

DOCUMENTATION = r"""
name: fateflow_health_request
short_description: The health endpoint of a FATE Flow version, as method and path
version_added: 0.1.0
description:
  - The request the C(fateflow.ha.fateflow_node) module checks a node's health with (2.x C(GET /v2/server/fateflow),
    1.x C(POST /v1/version/get)), for probes that must run from another host, such as Nginx's.
  - One rule for the module and the playbooks.
options:
  _input:
    description: FATE Flow version (C(2.2.0), C(1.11.4), C(2) ...); anything but a 1.x or 2.x version is refused.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Call a member's health endpoint from the balancer
  ansible.builtin.uri:
    url: "http://{{ member }}:9380{{ (fateflow_ha_version | fateflow.ha.fateflow_health_request).path }}"
    method: "{{ (fateflow_ha_version | fateflow.ha.fateflow_health_request).method }}"
"""

RETURN = r"""
_value:
  description: C(method) and C(path) of the health endpoint.
  type: dict
"""


def fateflow_health_request(flow_version):
    try:
        version = checked_version("fateflow_health_request's input (the FATE Flow version)", flow_version)
    except InputError as exc:
        raise AnsibleFilterError(str(exc))
    method, path = health_request(major_version(version))
    return {"method": method, "path": path}


class FilterModule(object):
    def filters(self):
        return {"fateflow_health_request": fateflow_health_request}
