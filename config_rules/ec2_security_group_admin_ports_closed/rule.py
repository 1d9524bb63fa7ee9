"""AWS Config rule: no security group admits the internet to SSH or RDP (FSBP EC2.13, EC2.14; CIS v3.0 5.2, 5.3).

Change-triggered on AWS::EC2::SecurityGroup. Evaluated from the configuration item alone: AWS Config records the
group's inbound rules as configuration.ipPermissions (DescribeSecurityGroups in lower camel case), each with
ipProtocol, fromPort/toPort, ipv4Ranges (objects with cidrIp; older items: ipRanges, strings) and ipv6Ranges
(objects with cidrIpv6). A permission is open when its source is 0.0.0.0/0 or ::/0 and it admits port 22 or
3389 over TCP, UDP or all protocols (-1) (CIS v3.0 5.2/5.3: "using either the TCP (6), UDP (17) or ALL (-1)
protocols"). A field that is missing or not of the recorded type is NON_COMPLIANT with an annotation naming it.
"""

from __future__ import annotations

from rdklib import ComplianceType, Evaluation
from rule_support import ParameterlessRule, as_object, fail_closed, field, handle, item_configuration

APPLICABLE_RESOURCES = ["AWS::EC2::SecurityGroup"]
# Read-only actions the rule's Lambda role needs (beyond config:PutEvaluations): none, the item carries the rules.
IAM_ACTIONS: tuple[str, ...] = ()
ADMIN_PORTS = (22, 3389)  # SSH, RDP
INTERNET = ("0.0.0.0/0", "::/0")
ALL_PROTOCOLS = "-1"
PORT_PROTOCOLS = ("tcp", "udp", "6", "17")  # names or numbers, as EC2 records them
MAX_ANNOTATION = 256  # PutEvaluations' limit on an annotation


def _sources(permission: dict, path: str) -> list[str]:
    """The permission's IPv4 and IPv6 source ranges."""
    ipv4 = field(permission, "ipv4Ranges", path, list, required=False)
    if ipv4 is None:
        legacy = field(permission, "ipRanges", path, list)
        ipv4 = [{"cidrIp": cidr} for cidr in legacy]
    ipv6 = field(permission, "ipv6Ranges", path, list, required=False) or []
    sources = []
    for name, ranges, key in (("ipv4Ranges", ipv4, "cidrIp"), ("ipv6Ranges", ipv6, "cidrIpv6")):
        for index, entry in enumerate(ranges):
            where = f"{path}.{name}[{index}]"
            if isinstance(entry, str):  # ipRanges records the CIDR itself
                sources.append(entry)
                continue
            sources.append(field(as_object(entry, where), key, where, str))
    return sources


def _admin_ports(permission: dict, path: str) -> list[int]:
    """The administration ports the permission admits (empty for ICMP and other protocols)."""
    protocol = field(permission, "ipProtocol", path, str).lower()
    if protocol == ALL_PROTOCOLS:
        return list(ADMIN_PORTS)
    if protocol not in PORT_PROTOCOLS:
        return []
    low = field(permission, "fromPort", path, int)
    high = field(permission, "toPort", path, int)
    return [port for port in ADMIN_PORTS if low <= port <= high]


def open_permissions(configuration: dict) -> list[str]:
    """Each inbound permission admitting the internet to an administration port, described for the annotation."""
    permissions = field(configuration, "ipPermissions", "configuration", list)
    found = []
    for index, permission in enumerate(permissions):
        path = f"configuration.ipPermissions[{index}]"
        permission = as_object(permission, path)
        ports = _admin_ports(permission, path)
        internet = [cidr for cidr in _sources(permission, path) if cidr in INTERNET]
        if ports and internet:
            protocol = permission["ipProtocol"]
            found.append(f"{protocol} port {'/'.join(map(str, ports))} from {' and '.join(internet)}")
    return found


class Ec2SecurityGroupAdminPortsClosed(ParameterlessRule):
    """NON_COMPLIANT when the group admits 0.0.0.0/0 or ::/0 to port 22 or 3389."""

    @fail_closed
    def evaluate_change(
        self, event: dict, client_factory: object, configuration_item: dict, valid_rule_parameters: dict
    ) -> list[Evaluation]:
        configuration = item_configuration(configuration_item)
        found = open_permissions(configuration)
        if not found:
            annotation = "No inbound rule admits 0.0.0.0/0 or ::/0 to port 22 or 3389."
            return [Evaluation(ComplianceType.COMPLIANT, annotation=annotation)]
        annotation = f"Open to the internet: {'; '.join(found)}."
        if len(annotation) > MAX_ANNOTATION:
            annotation = annotation[: MAX_ANNOTATION - 3] + "..."
        return [Evaluation(ComplianceType.NON_COMPLIANT, annotation=annotation)]


def lambda_handler(event: dict, context: object) -> list | dict:
    """Lambda entry point AWS Config invokes."""
    return handle(Ec2SecurityGroupAdminPortsClosed(), APPLICABLE_RESOURCES, event, context)
