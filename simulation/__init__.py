"""Local emulation of an AWS account (moto server) and the tools run against it (Prowler)."""
