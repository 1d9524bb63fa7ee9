"""The subnet public-IP control (FSBP EC2.15): a subnet complies when MapPublicIpOnLaunch is false.

Used by the rule ec2_subnet_no_auto_public_ip and the runbook disable_subnet_auto_public_ip (see this package's
docstring), so the rule judges a subnet compliant exactly when the runbook finds nothing to change. MapPublicIpOnLaunch
"Indicates whether instances launched in this subnet receive a public IPv4 address"
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Subnet.html); FSBP EC2.15 "passes if the flag is set to
FALSE" (https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-15).
"""

SETTING = "MapPublicIpOnLaunch"


def assigns_public_ip(value: object, source: str) -> bool:
    """Whether the subnet's MapPublicIpOnLaunch, as `source` gives it, is true (non-compliant); anything but a
    boolean is an error naming `source` (never read as compliant)."""
    if not isinstance(value, bool):
        raise ValueError(f"{source} gives {SETTING} {value!r}, expected true or false")
    return value
