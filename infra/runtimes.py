"""The Lambda runtime every function of the app runs on, and why it is this one."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

# The rule and bridge tests run on this version too (`make lambda-runtime-test`, run by CI). python3.11, the
# SSM executeScript runtime the runbooks use, is past its Lambda deprecation date (June 30, 2026; creating
# functions is blocked since July 31, 2026): https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_12
LAMBDA_PYTHON_VERSION = "3.12"
