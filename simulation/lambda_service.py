"""Lambda: run a function's handler in process, imported from its synthesized asset folder, unmodified.

Each function is imported in isolation (its asset and layers first on sys.path, same-named modules of
other functions set aside), with its own environment variables during each invocation.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from simulation.cloud_assembly import LambdaFunction


@contextmanager
def scoped_environment(variables: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them."""
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _load_handler(function: LambdaFunction) -> Callable:
    module_name, _, attribute = function.handler.rpartition(".")
    top = module_name.split(".")[0]
    shadowed = {name: mod for name, mod in sys.modules.items() if name == top or name.startswith(f"{top}.")}
    for name in shadowed:
        del sys.modules[name]
    paths = [str(function.asset_dir), *map(str, function.layer_dirs)]
    sys.path[:0] = paths
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, attribute)
    finally:
        del sys.path[: len(paths)]
        for name in [n for n in sys.modules if n == top or n.startswith(f"{top}.")]:
            del sys.modules[name]
        sys.modules.update(shadowed)
    return handler


class LambdaService:
    """The functions of the cloud assembly, invocable by logical id."""

    def __init__(self, functions: dict[str, LambdaFunction], region: str | None = None) -> None:
        self.functions = functions
        # The runtime's own variables: a function's clients default to the function's region.
        self.runtime_environment = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region} if region else {}
        self._handlers: dict[str, Callable] = {}
        self.invocations: list[tuple[str, dict]] = []
        self.logs: dict[str, list[str]] = {}  # what each function printed, as CloudWatch Logs would hold it

    def invoke(self, logical_id: str, event: dict) -> object:
        """Invoke synchronously; an exception propagates as a function error does to the caller."""
        function = self.functions[logical_id]
        if logical_id not in self._handlers:
            self._handlers[logical_id] = _load_handler(function)
        self.invocations.append((logical_id, event))
        context = SimpleNamespace(function_name=logical_id, aws_request_id=f"sim-{len(self.invocations)}")
        output = io.StringIO()
        try:
            with (
                scoped_environment({**self.runtime_environment, **function.environment}),
                contextlib.redirect_stdout(output),
            ):
                return self._handlers[logical_id](event, context)
        finally:
            self.logs.setdefault(logical_id, []).extend(output.getvalue().splitlines())
