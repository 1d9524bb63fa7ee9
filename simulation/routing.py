"""Which emulated account and region an AWS call belongs to, and the botocore hooks that answer it there.

moto keeps one backend per account and decides a request's account by (in order) MOTO_ACCOUNT_ID, the
`x-moto-account-id` header, the access key (keys moto issued, such as assumed-role ones, map to their account),
else its default account. In process, the rule handlers, runbook scripts and bridge call boto3 with the same
dummy credentials whichever account they stand for, so the emulation says which account it is acting for
(`Router.acting_as`) and the router tags such requests with that account. A request signed with keys moto
issued (sts:AssumeRole into another account) keeps its own account, as in AWS.

The APIs moto lacks (AWS Config's evaluations and remediations, SSM Automation, Security Hub's
BatchUpdateFindings) are answered by the emulated services of the (account, region) the call is for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import boto3
from botocore.awsrequest import AWSResponse

from simulation.lambda_service import scoped_environment

ACCOUNT_HEADER = "x-moto-account-id"
Route = Callable[[dict], dict]
Routes = dict[tuple[str, str], Route]  # (endpoint prefix, operation) -> answer

_ACTING_AS: ContextVar[tuple[str, str] | None] = ContextVar("simulation_acting_as", default=None)


def issuing_account(access_key: str | None) -> str | None:
    """The account of an access key moto issued (an IAM user's or an assumed role's); None for dummy keys."""
    if not access_key:
        return None
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    for account_id, backend in list(iam_backends.items()):
        if any(access_key in backend[partition].access_keys for partition in PARTITION_NAMES):
            return account_id
    return None


def _access_key(request_signer: object) -> str | None:
    credentials = getattr(request_signer, "_credentials", None)  # the key the request is signed with
    return credentials.get_frozen_credentials().access_key if credentials is not None else None


class Router:
    """One set of hooks for every emulated (account, region): tags requests, answers the missing APIs."""

    def __init__(self) -> None:
        self.services: dict[tuple[str, str], Routes] = {}
        self.fallback: Routes | None = None  # one emulated account: it answers whatever account or region
        self._sessions: list[boto3.session.Session] = []
        self._by_region: dict[str, boto3.session.Session] = {}

    def add(self, account: str, region: str, routes: Routes, fallback: bool = False) -> None:
        self.services[(account, region)] = routes
        if fallback:
            self.fallback = routes

    @staticmethod
    def acting_for() -> tuple[str, str] | None:
        """The (account, region) the emulation acts for now, if any."""
        return _ACTING_AS.get()

    @contextlib.contextmanager
    def acting_as(self, account: str, region: str) -> Iterator[None]:
        """Calls made meanwhile with the dummy credentials act in `account`; clients default to `region`."""
        token = _ACTING_AS.set((account, region))
        try:
            with scoped_environment({"AWS_REGION": region, "AWS_DEFAULT_REGION": region}):
                yield
        finally:
            _ACTING_AS.reset(token)

    # Sessions ---------------------------------------------------------------------------------------------
    def install(self, session: boto3.session.Session | None = None) -> boto3.session.Session:
        """Register the hooks on `session` (default: boto3's default session)."""
        if session is None:
            if boto3.DEFAULT_SESSION is None:
                boto3.setup_default_session()
            session = boto3.DEFAULT_SESSION
        session.events.register("before-parameter-build", self._keep_parameters)
        session.events.register("before-call", self._answer)
        session.events.register("before-sign", self._tag_account)
        self._sessions.append(session)
        return session

    def session(self, region: str) -> boto3.session.Session:
        """A session of `region` with the hooks (SSM Automation runs a region's runbooks in one)."""
        if region not in self._by_region:
            self._by_region[region] = self.install(boto3.session.Session(region_name=region))
        return self._by_region[region]

    def uninstall(self) -> None:
        for session in self._sessions:
            session.events.unregister("before-parameter-build", self._keep_parameters)
            session.events.unregister("before-call", self._answer)
            session.events.unregister("before-sign", self._tag_account)
        self._sessions.clear()
        self._by_region.clear()

    # Hooks ----------------------------------------------------------------------------------------------------
    @staticmethod
    def _keep_parameters(params, context, **_kwargs):  # noqa: ANN001, ANN003, ANN205 - botocore hook signature
        """Keep the caller's API parameters; before-call only sees the serialized request."""
        context["simulation_api_params"] = dict(params)

    def _tag_account(self, request, request_signer, **_kwargs):  # noqa: ANN001, ANN003, ANN202 - botocore hook
        acting = _ACTING_AS.get()
        if acting is not None and issuing_account(_access_key(request_signer)) is None:
            request.headers[ACCOUNT_HEADER] = acting[0]

    def routes_for(self, access_key: str | None, region: str) -> Routes | None:
        """The emulated services a call is for: the key's account (else the acting one) in the client's region."""
        acting = _ACTING_AS.get()
        account = issuing_account(access_key) or (acting[0] if acting else None)
        return self.services.get((account, region), self.fallback)

    def _answer(self, model, context, request_signer, **_kwargs):  # noqa: ANN001, ANN003, ANN202 - botocore hook
        routes = self.routes_for(_access_key(request_signer), request_signer.region_name) or {}
        route = routes.get((model.service_model.endpoint_prefix, model.name))
        if route is None:
            return None
        try:
            parsed = route(context.get("simulation_api_params", {}))
            status = 200
        except ValueError as error:  # an error class may name its AWS error code (`code`)
            parsed = {"Error": {"Code": getattr(error, "code", "ValidationException"), "Message": str(error)}}
            status = 400
        parsed["ResponseMetadata"] = {"HTTPStatusCode": status}
        return AWSResponse("https://simulation.invalid", status, {}, None), parsed
